/**
 * The emulator's request and response values and the body shapes Salesforce uses
 * (REST error arrays, OAuth error objects, SOAP XML).
 *
 * @internal
 */
import type { IncomingHttpHeaders } from "node:http"

/** A fully read request. @internal */
export interface EmuRequest {
  readonly method: string
  /** Path and query as received. */
  readonly url: string
  readonly pathname: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** A response to write. @internal */
export interface EmuResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** @internal */
export const JSON_TYPE = "application/json;charset=UTF-8"
/** @internal */
export const XML_TYPE = "text/xml;charset=UTF-8"

/** @internal */
export const header = (request: EmuRequest, name: string): string | undefined => {
  const value = request.headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(", ") : value
}

/** @internal */
export const json = (
  status: number,
  value: unknown,
  headers: Readonly<Record<string, string>> = {},
  pretty = false
): EmuResponse => ({
  status,
  headers: { "content-type": JSON_TYPE, ...headers },
  body: JSON.stringify(value, null, pretty ? 2 : undefined)
})

/** @internal */
export const text = (status: number, body: string, headers: Readonly<Record<string, string>> = {}): EmuResponse => ({
  status,
  headers: { "content-type": "text/plain;charset=UTF-8", ...headers },
  body
})

/** @internal */
export const xml = (status: number, body: string): EmuResponse => ({
  status,
  headers: { "content-type": XML_TYPE },
  body
})

/** @internal */
export const empty = (status: number, headers: Readonly<Record<string, string>> = {}): EmuResponse => ({
  status,
  headers,
  body: ""
})

/** One entry of a REST error array. @internal */
export interface RestErrorEntry {
  readonly message: string
  readonly errorCode: string
  readonly fields?: ReadonlyArray<string>
  readonly [key: string]: unknown
}

/** A REST error: status plus the array body. @internal */
export interface RestError {
  readonly status: number
  readonly errors: ReadonlyArray<RestErrorEntry>
}

/** @internal */
export const restError = (
  status: number,
  errorCode: string,
  message: string,
  extra: Readonly<Record<string, unknown>> = {}
): RestError => ({ status, errors: [{ message, errorCode, ...extra }] })

/** @internal */
export const isRestError = (u: unknown): u is RestError =>
  typeof u === "object" && u !== null && "errors" in u && "status" in u

/** The 401 every REST call without a live session gets. @internal */
export const invalidSession = (message = "Session expired or invalid"): RestError =>
  restError(401, "INVALID_SESSION_ID", message)

/** @internal */
export const notFound = (message = "The requested resource does not exist"): RestError =>
  restError(404, "NOT_FOUND", message)

/** Headers Salesforce puts on token-endpoint answers. @internal */
export const noCache: Readonly<Record<string, string>> = {
  "cache-control": "no-cache,must-revalidate,max-age=0,no-store,private",
  pragma: "no-cache"
}

/** `{"error": ..., "error_description": ...}`, 400 unless told. @internal */
export const oauthError = (error: string, description: string, status = 400): EmuResponse =>
  json(status, { error, error_description: description }, noCache)

/** Form-encoded body, or `undefined` when the content type is not form-encoded. @internal */
export const formBody = (request: EmuRequest): URLSearchParams | undefined => {
  const type = header(request, "content-type") ?? ""
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) return undefined
  return new URLSearchParams(request.body)
}

/** Client id and secret from HTTP Basic, if present. @internal */
export const basicCredentials = (
  request: EmuRequest
): { readonly clientId: string; readonly clientSecret: string } | undefined => {
  const auth = header(request, "authorization")
  const match = auth === undefined ? null : /^Basic\s+(\S+)$/i.exec(auth)
  if (match === null) return undefined
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon < 0) return undefined
  return { clientId: safeDecode(decoded.slice(0, colon)), clientSecret: safeDecode(decoded.slice(colon + 1)) }
}

const safeDecode = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The token of `Authorization: Bearer <token>` (or `OAuth <token>`). @internal */
export const bearerToken = (request: EmuRequest): string | undefined => {
  const auth = header(request, "authorization")
  const match = auth === undefined ? null : /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(auth)
  return match === null ? undefined : match[1]
}
