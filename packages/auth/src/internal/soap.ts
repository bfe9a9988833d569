/**
 * SOAP `login()`: the envelope (with XML escaping) and the response (parsed with a strict,
 * namespace-aware XML parser, matched by local name).
 * @internal
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { SaxesParser } from "saxes"
import { LifetimeSeconds, maxServerMessage } from "./serverNumbers.js"
import { truncate } from "./url.js"

/** The SOAP 1.1 envelope namespace. @internal */
export const envelopeNamespace = "http://schemas.xmlsoap.org/soap/envelope/"

/** The Partner API namespace. @internal */
export const partnerNamespace = "urn:partner.soap.sforce.com"

/**
 * Characters XML 1.0 cannot carry at all: controls other than tab, LF and CR, lone
 * surrogates, U+FFFE and U+FFFF.
 * @internal
 */
export const hasInvalidXmlChar = (text: string): boolean =>
  /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(text)

const entities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\"": "&quot;",
  "'": "&apos;",
  // a raw CR would be normalised to LF by the receiving parser, changing the password
  "\r": "&#13;"
}

/** Escape text content: all five entities (and CR as a character reference). @internal */
export const escapeXml = (text: string): string => text.replace(/[&<>"'\r]/g, (c) => entities[c]!)

/** The `login()` request envelope. Values are escaped here. @internal */
export const loginEnvelope = (options: {
  readonly username: string
  readonly password: string
  readonly client?: string | undefined
}): string => {
  const header = options.client === undefined
    ? ""
    : `<soapenv:Header><urn:CallOptions><urn:client>${escapeXml(options.client)}</urn:client></urn:CallOptions></soapenv:Header>`
  return `<?xml version="1.0" encoding="utf-8"?>` +
    `<soapenv:Envelope xmlns:soapenv="${envelopeNamespace}" xmlns:urn="${partnerNamespace}">` +
    header +
    `<soapenv:Body><urn:login>` +
    `<urn:username>${escapeXml(options.username)}</urn:username>` +
    `<urn:password>${escapeXml(options.password)}</urn:password>` +
    `</urn:login></soapenv:Body></soapenv:Envelope>`
}

/** What a SOAP response holds. @internal */
export type Parsed =
  | { readonly _tag: "Result"; readonly fields: Readonly<Record<string, string>> }
  | { readonly _tag: "Fault"; readonly code: string; readonly message: string }
  | { readonly _tag: "Other"; readonly detail: string }

const resultPrefix = "Envelope/Body/loginResponse/result/"
const faultPrefix = "Envelope/Body/Fault/"

/**
 * The largest SOAP answer parsed, in characters. A login result is about 3 KB and a fault
 * under 1 KB; a larger body is refused before parsing, so the parser's cost (about 0.1 ms per
 * KB for the worst shapes) stays far below a noticeable stall of the event loop.
 * @internal
 */
export const maxSoapLength = 64 * 1024

/** The deepest element nesting parsed. A login result is 6 deep. @internal */
export const maxSoapDepth = 32

/** Paths are kept to this depth and for names up to this length; deeper or longer elements are parsed but not collected. */
const maxPathDepth = 8
const maxNameLength = 128

class TooDeep extends Error {}

/** `soapenv:Envelope` → `Envelope`. */
const localName = (name: string): string => name.slice(name.indexOf(":") + 1)

/** The namespace the root element's prefix is bound to by its own attributes (a root has no ancestors). */
const rootNamespace = (name: string, attributes: Readonly<Record<string, string>>): string => {
  const colon = name.indexOf(":")
  return (colon === -1 ? attributes["xmlns"] : attributes[`xmlns:${name.slice(0, colon)}`])?.trim() ?? ""
}

/**
 * Parse a SOAP response body. `Other` says why it is not a login result or a fault (never
 * quoting the body). Leaf elements are collected by their path of local names, so any
 * namespace prefix (or a default namespace) works.
 *
 * Linear in the body and bounded: a body over {@link maxSoapLength} characters or nested deeper
 * than {@link maxSoapDepth} is refused. The XML parser runs without its namespace handling
 * (which resolves every prefix by walking all open elements: quadratic in the depth); the one
 * namespace that matters, the envelope's, is read from the root element's own attributes.
 * @internal
 */
export const parseResponse = (body: string): Parsed => {
  if (body.length > maxSoapLength) {
    return { _tag: "Other", detail: `the body is larger than ${maxSoapLength / 1024} KB (a login answer is a few KB)` }
  }
  const text = body.trim()
  if (text === "") return { _tag: "Other", detail: "the body is empty" }
  if (/^<(!doctype\s+html|html)/i.test(text.slice(0, 64))) {
    return { _tag: "Other", detail: "an HTML page instead of a SOAP envelope" }
  }
  if (!text.startsWith("<")) return { _tag: "Other", detail: "the body is not XML" }
  const parser = new SaxesParser({ xmlns: false })
  // `path` is undefined below the collected depth or under an over-long name
  const stack: Array<{ readonly path: string | undefined; text: string; leaf: boolean }> = []
  const fields: Record<string, string> = Object.create(null)
  let root: { readonly local: string; readonly uri: string } | undefined
  parser.on("opentag", (tag) => {
    if (stack.length >= maxSoapDepth) throw new TooDeep()
    const local = localName(tag.name)
    if (root === undefined) root = { local, uri: rootNamespace(tag.name, tag.attributes as Record<string, string>) }
    const parent = stack[stack.length - 1]
    if (parent !== undefined) parent.leaf = false
    const path = stack.length >= maxPathDepth || local.length > maxNameLength
      ? undefined
      : parent === undefined
      ? local
      : parent.path === undefined
      ? undefined
      : `${parent.path}/${local}`
    stack.push({ path, text: "", leaf: true })
  })
  const append = (chunk: string) => {
    const top = stack[stack.length - 1]
    if (top !== undefined && top.path !== undefined) top.text += chunk
  }
  parser.on("text", append)
  parser.on("cdata", append)
  parser.on("closetag", () => {
    const element = stack.pop()!
    if (element.path !== undefined && element.leaf && !(element.path in fields)) fields[element.path] = element.text.trim()
  })
  try {
    parser.write(body).close()
  } catch (error) {
    if (error instanceof TooDeep) return { _tag: "Other", detail: `the XML is nested deeper than ${maxSoapDepth} elements` }
    return { _tag: "Other", detail: `the body is not well-formed XML (near line ${parser.line}, column ${parser.column})` }
  }
  if (root === undefined || root.local !== "Envelope" || root.uri !== envelopeNamespace) {
    return { _tag: "Other", detail: "the XML is not a SOAP envelope" }
  }
  const faultcode = fields[`${faultPrefix}faultcode`]
  if (faultcode !== undefined || Object.keys(fields).some((k) => k.startsWith(faultPrefix))) {
    const detail = (name: string) =>
      Object.entries(fields).find(([k]) => k.startsWith(`${faultPrefix}detail/`) && k.endsWith(`/${name}`))?.[1]
    const code = truncate(stripPrefix(detail("exceptionCode") || faultcode || "UNKNOWN_FAULT"), 128)
    const faultstring = fields[`${faultPrefix}faultstring`] ?? ""
    // what an error keeps of a server's text is bounded
    const message = truncate(detail("exceptionMessage") || stripCode(faultstring, code), maxServerMessage)
    return { _tag: "Fault", code, message }
  }
  const result: Record<string, string> = Object.create(null)
  for (const [path, value] of Object.entries(fields)) {
    if (path.startsWith(resultPrefix)) result[path.slice(resultPrefix.length)] = value
  }
  return Object.keys(result).length === 0 && !Object.keys(fields).some((k) => k.startsWith("Envelope/Body/loginResponse"))
    ? { _tag: "Other", detail: "the SOAP body holds neither a loginResponse nor a Fault" }
    : { _tag: "Result", fields: result }
}

/** `sf:INVALID_LOGIN` → `INVALID_LOGIN`. @internal */
export const stripPrefix = (code: string): string => code.slice(code.lastIndexOf(":") + 1).trim()

/** `INVALID_LOGIN: Invalid username...` → `Invalid username...`. */
const stripCode = (faultstring: string, code: string): string =>
  faultstring.startsWith(`${code}:`) ? faultstring.slice(code.length + 1).trim() : faultstring

/** The fields of a login result that the method uses. @internal */
export const LoginResult = Schema.Struct({
  sessionId: Schema.Redacted(Schema.NonEmptyString),
  serverUrl: Schema.NonEmptyString,
  passwordExpired: Schema.optional(Schema.Literal("true", "false")),
  // plain digits, 1 second to a year: `0x10` or `8640000000001` is a malformed answer
  "userInfo/sessionSecondsValid": Schema.optional(LifetimeSeconds)
})

/** @internal */
export type LoginResult = typeof LoginResult.Type

/** Decode the collected result fields; `Left` says what was missing or wrong (never a value). @internal */
export const decodeResult = (fields: Readonly<Record<string, string>>): Either.Either<LoginResult, string> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(LoginResult)(fields, { errors: "all", onExcessProperty: "ignore" }),
    (error) =>
      [
        ...new Set(
          ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
            const path = issue.path.map(String).join("/") || "result"
            return issue._tag === "Missing" ? `${path} is missing` : `${path} is empty or not valid`
          })
        )
      ].join("; ")
  )
