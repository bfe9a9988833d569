/**
 * A small SOQL subset: `SELECT` fields (or `COUNT()`), one `FROM`, `WHERE` with
 * `= != <> < <= > >= LIKE IN`, `AND` / `OR` / `NOT` and parentheses, `ORDER BY`,
 * `LIMIT`, `OFFSET`. Errors carry Salesforce's caret message.
 *
 * @internal
 */
import type { SObjectType } from "./schema.js"
import type { StoredRecord } from "./store.js"

type Literal = string | number | boolean | null

/** @internal */
export type Condition =
  | { readonly _tag: "And" | "Or"; readonly left: Condition; readonly right: Condition }
  | { readonly _tag: "Not"; readonly inner: Condition }
  | { readonly _tag: "Compare"; readonly field: string; readonly op: string; readonly value: Literal }
  | { readonly _tag: "In"; readonly field: string; readonly values: ReadonlyArray<Literal>; readonly negated: boolean }

/** A parsed and checked query. @internal */
export interface Query {
  readonly type: SObjectType
  /** API names in select order, or `"count"` for `COUNT()`. */
  readonly fields: ReadonlyArray<string> | "count"
  readonly where: Condition | undefined
  readonly orderBy: ReadonlyArray<{ readonly field: string; readonly desc: boolean; readonly nullsLast: boolean }>
  readonly limit: number | undefined
  readonly offset: number | undefined
}

/** @internal */
export class SoqlError {
  readonly _tag = "SoqlError"
  constructor(readonly errorCode: "MALFORMED_QUERY" | "INVALID_FIELD" | "INVALID_TYPE", readonly message: string) {}
}

interface Token {
  readonly kind: "word" | "string" | "number" | "op" | "eof"
  readonly text: string
  readonly value: string
  readonly pos: number
}

const caret = (soql: string, pos: number, detail: string): string => {
  const before = soql.slice(0, pos)
  const row = before.split("\n").length
  const lineStart = before.lastIndexOf("\n") + 1
  const lineEnd = soql.indexOf("\n", pos)
  const line = soql.slice(lineStart, lineEnd < 0 ? undefined : lineEnd)
  const column = pos - lineStart + 1
  return `\n${line}\n${" ".repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n${detail}`
}

const tokenize = (soql: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < soql.length) {
    const c = soql[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    const start = i
    if (c === "'") {
      let value = ""
      i++
      for (;;) {
        if (i >= soql.length) throw new SoqlError("MALFORMED_QUERY", caret(soql, start, "line 1:" + start + " mismatched character '<EOF>' expecting '''"))
        const d = soql[i]!
        if (d === "\\") {
          const e = soql[i + 1] ?? ""
          value += ({ n: "\n", r: "\r", t: "\t", b: "\b", f: "\f" } as Record<string, string>)[e] ?? e
          i += 2
        } else if (d === "'") {
          i++
          break
        } else {
          value += d
          i++
        }
      }
      tokens.push({ kind: "string", text: soql.slice(start, i), value, pos: start })
    } else if (/[-0-9.]/.test(c) && /[0-9]/.test(soql[c === "-" || c === "." ? i + 1 : i] ?? "")) {
      i++
      while (i < soql.length && /[0-9.]/.test(soql[i]!)) i++
      tokens.push({ kind: "number", text: soql.slice(start, i), value: soql.slice(start, i), pos: start })
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < soql.length && /[A-Za-z0-9_.]/.test(soql[i]!)) i++
      tokens.push({ kind: "word", text: soql.slice(start, i), value: soql.slice(start, i), pos: start })
    } else {
      const two = soql.slice(i, i + 2)
      const op = ["!=", "<>", "<=", ">="].includes(two) ? two : c
      if (!["=", "<", ">", "!=", "<>", "<=", ">=", "(", ")", ","].includes(op)) {
        throw new SoqlError("MALFORMED_QUERY", caret(soql, start, `unexpected token: '${c}'`))
      }
      i += op.length
      tokens.push({ kind: "op", text: op, value: op, pos: start })
    }
  }
  tokens.push({ kind: "eof", text: "<EOF>", value: "", pos: soql.length })
  return tokens
}

/** Parses and checks `soql` against the known types. @internal */
export const parse = (soql: string, typeOf: (name: string) => SObjectType | undefined): Query => {
  const tokens = tokenize(soql)
  let index = 0
  const peek = () => tokens[index]!
  const next = () => tokens[index++]!
  const isWord = (t: Token, word: string) => t.kind === "word" && t.text.toUpperCase() === word
  const unexpected = (t: Token): never => {
    throw new SoqlError("MALFORMED_QUERY", caret(soql, t.pos, `unexpected token: '${t.text}'`))
  }
  const expectWord = (word: string) => {
    const t = next()
    if (!isWord(t, word)) unexpected(t)
  }
  const expectOp = (op: string) => {
    const t = next()
    if (t.kind !== "op" || t.text !== op) unexpected(t)
  }
  const fieldToken = (): Token => {
    const t = next()
    if (t.kind !== "word") unexpected(t)
    return t
  }

  expectWord("SELECT")
  const selected: Array<Token> = []
  let count = false
  if (isWord(peek(), "COUNT") && tokens[index + 1]?.text === "(") {
    index += 2
    expectOp(")")
    count = true
  } else {
    selected.push(fieldToken())
    while (peek().text === ",") {
      next()
      selected.push(fieldToken())
    }
  }
  expectWord("FROM")
  const from = next()
  if (from.kind !== "word") unexpected(from)
  const type = typeOf(from.text)
  if (type === undefined || from.text.includes(".")) {
    throw new SoqlError(
      "INVALID_TYPE",
      caret(
        soql,
        from.pos,
        `sObject type '${from.text}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`
      )
    )
  }
  const field = (t: Token): string => {
    const dot = t.text.indexOf(".")
    if (dot >= 0) {
      throw new SoqlError(
        "INVALID_FIELD",
        caret(
          soql,
          t.pos,
          `Didn't understand relationship '${t.text.slice(0, dot)}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`
        )
      )
    }
    const name = type.fields.get(t.text.toLowerCase())
    if (name === undefined) {
      throw new SoqlError(
        "INVALID_FIELD",
        caret(
          soql,
          t.pos,
          `No such column '${t.text}' on entity '${type.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`
        )
      )
    }
    return name
  }
  const fields = count ? "count" as const : selected.map(field)
  if (fields !== "count") {
    const seen = new Set<string>()
    selected.forEach((t, i) => {
      if (seen.has(fields[i]!)) throw new SoqlError("MALFORMED_QUERY", caret(soql, t.pos, `duplicate field selected: ${fields[i]}`))
      seen.add(fields[i]!)
    })
  }

  const literal = (): Literal => {
    const t = next()
    if (t.kind === "string") return t.value
    if (t.kind === "number") return Number(t.value)
    if (isWord(t, "NULL")) return null
    if (isWord(t, "TRUE")) return true
    if (isWord(t, "FALSE")) return false
    return unexpected(t)
  }
  const comparison = (): Condition => {
    const name = field(fieldToken())
    const t = next()
    if (t.kind === "op" && ["=", "!=", "<>", "<", "<=", ">", ">="].includes(t.text)) {
      return { _tag: "Compare", field: name, op: t.text === "<>" ? "!=" : t.text, value: literal() }
    }
    if (isWord(t, "LIKE")) {
      const v = next()
      if (v.kind !== "string") unexpected(v)
      return { _tag: "Compare", field: name, op: "LIKE", value: v.value }
    }
    const negated = isWord(t, "NOT")
    if (negated ? isWord(next(), "IN") : isWord(t, "IN")) {
      expectOp("(")
      const values = [literal()]
      while (peek().text === ",") {
        next()
        values.push(literal())
      }
      expectOp(")")
      return { _tag: "In", field: name, values, negated }
    }
    return unexpected(tokens[index - 1]!)
  }
  const unary = (): Condition => {
    if (isWord(peek(), "NOT")) {
      next()
      return { _tag: "Not", inner: unary() }
    }
    if (peek().text === "(") {
      next()
      const inner = or()
      expectOp(")")
      return inner
    }
    return comparison()
  }
  const and = (): Condition => {
    let left = unary()
    while (isWord(peek(), "AND")) {
      next()
      left = { _tag: "And", left, right: unary() }
    }
    return left
  }
  const or = (): Condition => {
    let left = and()
    while (isWord(peek(), "OR")) {
      next()
      left = { _tag: "Or", left, right: and() }
    }
    return left
  }

  let where: Condition | undefined
  if (isWord(peek(), "WHERE")) {
    next()
    where = or()
  }
  const orderBy: Array<{ field: string; desc: boolean; nullsLast: boolean }> = []
  if (isWord(peek(), "ORDER")) {
    next()
    expectWord("BY")
    do {
      if (orderBy.length > 0) next()
      const name = field(fieldToken())
      let desc = false
      if (isWord(peek(), "ASC") || isWord(peek(), "DESC")) desc = next().text.toUpperCase() === "DESC"
      let nullsLast = desc
      if (isWord(peek(), "NULLS")) {
        next()
        const t = next()
        if (!isWord(t, "FIRST") && !isWord(t, "LAST")) unexpected(t)
        nullsLast = isWord(t, "LAST")
      }
      orderBy.push({ field: name, desc, nullsLast })
    } while (peek().text === ",")
  }
  const integer = (): number => {
    const t = next()
    if (t.kind !== "number" || !/^\d+$/.test(t.text)) unexpected(t)
    return Number(t.text)
  }
  let limit: number | undefined
  let offset: number | undefined
  if (isWord(peek(), "LIMIT")) {
    next()
    limit = integer()
  }
  if (isWord(peek(), "OFFSET")) {
    next()
    offset = integer()
  }
  if (peek().kind !== "eof") unexpected(peek())
  return { type, fields, where, orderBy, limit, offset }
}

const like = (pattern: string): RegExp =>
  new RegExp(
    "^" + pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/%/g, ".*").replace(/_/g, ".") + "$",
    "is"
  )

const compare = (a: unknown, b: unknown): number => {
  if (typeof a === "number" && typeof b === "number") return a - b
  const x = String(a).toLowerCase()
  const y = String(b).toLowerCase()
  return x < y ? -1 : x > y ? 1 : 0
}

const equals = (stored: unknown, value: Literal): boolean => {
  if (value === null || stored === null || stored === undefined) return (stored ?? null) === value
  if (typeof value === "string") return String(stored).toLowerCase() === value.toLowerCase()
  if (typeof value === "number") return Number(stored) === value
  return stored === value
}

const test = (condition: Condition, record: StoredRecord): boolean => {
  switch (condition._tag) {
    case "And":
      return test(condition.left, record) && test(condition.right, record)
    case "Or":
      return test(condition.left, record) || test(condition.right, record)
    case "Not":
      return !test(condition.inner, record)
    case "In": {
      const found = condition.values.some((v) => equals(record.fields[condition.field], v))
      return condition.negated ? !found : found
    }
    case "Compare": {
      const stored = record.fields[condition.field]
      const { op, value } = condition
      if (op === "=") return equals(stored, value)
      if (op === "!=") return !equals(stored, value)
      if (stored === null || stored === undefined || value === null) return false
      if (op === "LIKE") return like(String(value)).test(String(stored))
      const c = compare(stored, value)
      return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0
    }
  }
}

/** The records a query selects, in order, after `OFFSET` and `LIMIT`. @internal */
export const run = (query: Query, records: ReadonlyArray<StoredRecord>): Array<StoredRecord> => {
  let rows = query.where === undefined ? [...records] : records.filter((r) => test(query.where!, r))
  if (query.orderBy.length > 0) {
    rows.sort((a, b) => {
      for (const { desc, field, nullsLast } of query.orderBy) {
        const x = a.fields[field] ?? null
        const y = b.fields[field] ?? null
        if (x === null || y === null) {
          if (x === y) continue
          return (x === null) === nullsLast ? 1 : -1
        }
        const c = compare(x, y)
        if (c !== 0) return desc ? -c : c
      }
      return 0
    })
  }
  if (query.offset !== undefined) rows = rows.slice(query.offset)
  if (query.limit !== undefined) rows = rows.slice(0, query.limit)
  return rows
}
