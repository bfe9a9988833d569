/**
 * Safe SOQL: literals escaped the way Salesforce reads them, so values from users cannot
 * change a query's meaning (SOQL injection).
 *
 * ```ts
 * const name = "O'Brien & Sons"
 * sf.query(Soql.soql`SELECT Id FROM Account WHERE Name = ${name} LIMIT ${10}`)
 * // SELECT Id FROM Account WHERE Name = 'O\'Brien & Sons' LIMIT 10
 * ```
 *
 * @since 0.1.0
 */

/**
 * A value that can stand in a SOQL query: strings are quoted and escaped, numbers, booleans and
 * `null` are written as literals, dates as `YYYY-MM-DDThh:mm:ssZ`, arrays as `(a, b, c)` for `IN`.
 *
 * @since 0.1.0
 * @category models
 */
export type Value = string | number | boolean | null | Date | ReadonlyArray<string | number | boolean | null | Date>

const escapes: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "'": "\\'",
  "\"": "\\\"",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f"
}

/**
 * A string as a quoted SOQL literal: `'O\'Brien'`.
 *
 * @since 0.1.0
 * @category escaping
 */
export const quote = (value: string): string => `'${value.replace(/[\\'"\n\r\t\b\f]/g, (c) => escapes[c]!)}'`

/**
 * A string for a `LIKE` pattern: also escapes `%` and `_`, so they match themselves.
 * Add your own wildcards around it: `Name LIKE '${Soql.likeEscape(x)}%'` (then quote yourself).
 *
 * @since 0.1.0
 * @category escaping
 */
export const likeEscape = (value: string): string =>
  quote(value).slice(1, -1).replace(/[%_]/g, (c) => `\\${c}`)

/**
 * Any {@link Value} as a SOQL literal.
 *
 * @since 0.1.0
 * @category escaping
 */
export const literal = (value: Value): string => {
  if (value === null) return "null"
  if (typeof value === "string") return quote(value)
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`SOQL has no literal for ${value}`)
    return String(value)
  }
  if (typeof value === "boolean") return value ? "true" : "false"
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError("SOQL has no literal for an invalid Date")
    return value.toISOString().replace(/\.\d{3}Z$/, "Z")
  }
  return `(${value.map((v) => literal(v)).join(", ")})`
}

/**
 * A tagged template that writes every interpolated value as a SOQL literal.
 *
 * @since 0.1.0
 * @category constructors
 */
export const soql = (strings: TemplateStringsArray, ...values: ReadonlyArray<Value>): string =>
  strings.reduce((query, part, i) => query + part + (i < values.length ? literal(values[i]!) : ""), "")
