/**
 * The one JSON parse of server bodies in the client, with two guards:
 *
 * - `JSON.parse` keeps a `"__proto__"` key as an own property, but anything that copies the
 *   object by assignment (`Schema.Record`, a `Schema.Struct` with an index signature,
 *   `Object.assign`) then sets the copy's prototype to whatever the server put there. Such keys
 *   are dropped here, once, for every body.
 * - V8's `JSON.parse` costs about 0.5 ms per KB on deeply nested input (a 1 MB body of `[[[[…`
 *   stalled the event loop for half a second); a large body nested deeper than
 *   {@link maxJsonDepth} is refused before parsing, by a linear scan.
 * @internal
 */

/** The deepest nesting of arrays and objects accepted in a large body. Salesforce's answers nest a few dozen levels at most. @internal */
export const maxJsonDepth = 128

/** Bodies shorter than this are parsed without the depth scan: their worst case costs a few milliseconds. */
const scanFrom = 32 * 1024

/** Is `text` nested deeper than `max` (brackets outside strings)? One pass, no allocation. @internal */
export const nestedDeeperThan = (text: string, max: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) {
      if (++depth > max) return true
    } else if (c === 125 || c === 93) depth--
  }
  return false
}

/** Drop every own `__proto__` key, at any depth (the value was made by `JSON.parse`: plain objects and arrays). */
const dropProtoKeys = (value: object): void => {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (typeof item === "object" && item !== null) dropProtoKeys(item)
    }
    return
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    if (key === "__proto__") {
      delete record[key]
      continue
    }
    const item = record[key]
    if (typeof item === "object" && item !== null) dropProtoKeys(item)
  }
}

/** What is wrong with a body that is not usable JSON. @internal */
export class JsonError extends Error {}

/**
 * Parse a server body as JSON: every `__proto__` key dropped (the walk runs only when the text
 * could hold one, literally or through a `\u` escape), deep nesting refused. Throws
 * {@link JsonError} naming the problem.
 * @internal
 */
export const parseJsonOrThrow = (text: string): unknown => {
  if (text.length >= scanFrom && nestedDeeperThan(text, maxJsonDepth)) {
    throw new JsonError(`the JSON is nested deeper than ${maxJsonDepth} levels`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new JsonError("the body is not JSON")
  }
  if (typeof value === "object" && value !== null && (text.includes("__proto__") || text.includes("\\u"))) {
    dropProtoKeys(value)
  }
  return value
}

/** {@link parseJsonOrThrow}, `undefined` for a body that is not usable JSON. @internal */
export const parseJson = (text: string): unknown => {
  try {
    return parseJsonOrThrow(text)
  } catch {
    return undefined
  }
}
