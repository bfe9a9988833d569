/**
 * JWT bearer assertions: RS256 only, signature checked against the connected app's
 * registered key or certificate, then `iss`, `aud`, `exp`, `sub` as Salesforce does.
 *
 * @internal
 */
import * as Crypto from "node:crypto"
import type { App, User } from "./directory.js"
import type { EmulatorState } from "./state.js"

/** @internal */
export type AssertionCheck =
  | { readonly _tag: "Ok"; readonly app: App; readonly user: User }
  | { readonly _tag: "Error"; readonly error: string; readonly description: string }

const reject = (error: string, description: string): AssertionCheck => ({ _tag: "Error", error, description })
const invalidAssertion = reject("invalid_grant", "invalid assertion")

const decodeJson = (segment: string): unknown => {
  try {
    return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const normalizeAudience = (aud: string) => aud.replace(/\/$/, "")

/** Checks an assertion; `exp` strictness follows the options. @internal */
export const checkAssertion = (state: EmulatorState, assertion: string): AssertionCheck => {
  const parts = assertion.split(".")
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return invalidAssertion
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string]
  const header = decodeJson(headerPart)
  const claims = decodeJson(claimsPart)
  if (!isObject(header) || !isObject(claims)) return invalidAssertion
  // RS256 only: `none`, HS256 and every other algorithm are refused
  if (header["alg"] !== "RS256") return invalidAssertion
  const iss = claims["iss"]
  const app = typeof iss === "string" ? state.directory.apps.get(iss) : undefined
  if (app === undefined) return reject("invalid_client_id", "client identifier invalid")
  if (app.publicKey === undefined || signaturePart === "") return invalidAssertion
  const valid = Crypto.verify(
    "RSA-SHA256",
    Buffer.from(`${headerPart}.${claimsPart}`),
    app.publicKey,
    Buffer.from(signaturePart, "base64url")
  )
  if (!valid) return invalidAssertion
  const aud = claims["aud"]
  const audiences = (Array.isArray(aud) ? aud : [aud]).filter((a): a is string => typeof a === "string")
  const accepted = new Set(state.jwtAudiences().map(normalizeAudience))
  if (!audiences.some((a) => accepted.has(normalizeAudience(a)))) return reject("invalid_grant", "audience is invalid")
  const expCheck = checkExp(claims["exp"], state.now() / 1000, state.options.jwtExpStrictness)
  if (expCheck !== undefined) return expCheck
  if (!app.grants.has("jwt_bearer")) return reject("unsupported_grant_type", "grant type not supported")
  const sub = claims["sub"]
  const user = typeof sub === "string" ? state.directory.user(sub) : undefined
  if (user === undefined || (app.approvedUsers !== undefined && !app.approvedUsers.has(user.username.toLowerCase()))) {
    return reject("invalid_grant", "user hasn't approved this consumer")
  }
  if (user.locked) return reject("invalid_grant", "authentication failure")
  return { _tag: "Ok", app, user }
}

const checkExp = (exp: unknown, nowSeconds: number, strictness: "lenient" | "strict"): AssertionCheck | undefined => {
  if (strictness === "strict") {
    if (typeof exp !== "number" || !Number.isInteger(exp)) return invalidAssertion
    if (exp <= nowSeconds) return reject("invalid_grant", "expired authorization code")
    if (exp > nowSeconds + 180) return invalidAssertion
    return undefined
  }
  // lenient, like Salesforce: numbers or numeric strings, any size (even milliseconds)
  const value = typeof exp === "number" ? exp : typeof exp === "string" && /^\d+(\.\d+)?$/.test(exp) ? Number(exp) : NaN
  if (Number.isNaN(value)) return invalidAssertion
  if (value <= nowSeconds) return reject("invalid_grant", "expired authorization code")
  return undefined
}
