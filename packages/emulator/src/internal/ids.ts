/**
 * Salesforce-shaped identifiers: 15/18-character record ids with the case-safe
 * suffix, opaque session tokens and refresh tokens.
 *
 * @internal
 */
import * as Crypto from "node:crypto"

const SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const TOKEN_ALPHABET = BASE62 + "._"

/** Key prefixes of the standard objects the emulator knows. @internal */
export const standardKeyPrefixes: Readonly<Record<string, string>> = {
  Account: "001",
  Contact: "003",
  User: "005",
  Opportunity: "006",
  Lead: "00Q",
  Case: "500",
  Task: "00T",
  Event: "00U",
  Campaign: "701",
  Product2: "01t",
  Pricebook2: "01s",
  Contract: "800",
  Order: "801"
}

/** Fixed prefixes for non-sObject ids. @internal */
export const prefixes = {
  organization: "00D",
  profile: "00e",
  queryLocator: "01g"
} as const

/**
 * The 3-character case-safe suffix of a 15-character id: for each 5-character chunk,
 * a bit per upper-case letter, mapped onto `A-Z0-5`.
 *
 * @internal
 */
export const checksum = (id15: string): string => {
  let suffix = ""
  for (let chunk = 0; chunk < 3; chunk++) {
    let flags = 0
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i)
      if (c >= 65 && c <= 90) flags |= 1 << i
    }
    suffix += SUFFIX_ALPHABET[flags]
  }
  return suffix
}

const ID15 = /^[a-zA-Z0-9]{15}$/
const ID18 = /^[a-zA-Z0-9]{18}$/

/**
 * Normalises a 15- or 18-character id to its canonical 18-character form, or
 * returns `undefined` when the text is not a well-formed id (an 18-character id
 * must carry the right suffix, compared case-insensitively as Salesforce does).
 *
 * @internal
 */
export const normalizeId = (text: string): string | undefined => {
  if (ID15.test(text)) return text + checksum(text)
  if (ID18.test(text)) {
    const base = text.slice(0, 15)
    const expected = checksum(base)
    return expected.toLowerCase() === text.slice(15).toLowerCase() ? base + expected : undefined
  }
  return undefined
}

/** The 15-character form of an id. @internal */
export const to15 = (id: string): string => id.slice(0, 15)

/** Turns a (possibly 15-character) id into 18 characters, computing the suffix. @internal */
export const to18 = (id: string): string => (id.length === 18 ? id : id + checksum(id))

const base62 = (n: number, width: number): string => {
  let out = ""
  let rest = Math.floor(n)
  while (rest > 0) {
    out = BASE62[rest % 62] + out
    rest = Math.floor(rest / 62)
  }
  return out.padStart(width, "0")
}

/**
 * A deterministic id generator: `<prefix><pod>0<9 base-62 chars><suffix>`.
 * Ids are unique per generator; a generator restarts from the same sequence after a reset.
 *
 * @internal
 */
export const makeIdGenerator = (pod = "8d") => {
  let counter = 0
  return {
    next: (prefix: string): string => {
      counter++
      // spread consecutive ids over the alphabet so ids mix upper and lower case
      const body = base62(916_132_831 + counter * 104_729_371, 9).slice(-9)
      return to18(prefix + pod + "0" + body)
    },
    reset: () => {
      counter = 0
    }
  }
}

/** @internal */
export type IdGenerator = ReturnType<typeof makeIdGenerator>

/** `length` random characters from `[A-Za-z0-9._]`. @internal */
export const randomText = (length: number, alphabet = TOKEN_ALPHABET): string => {
  const bytes = Crypto.randomBytes(length)
  let out = ""
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length]
  return out
}

/** An opaque access token / session id: `<org15>!AR<random>`. @internal */
export const sessionToken = (orgId: string): string => `${to15(orgId)}!AR${randomText(94)}`

/** An opaque refresh token in Salesforce's `5Aep861...` shape. @internal */
export const refreshToken = (): string => `5Aep861${randomText(80, BASE62)}`

/** A query locator id (`01g...`, 18 characters). @internal */
export const queryLocator = (): string => to18(prefixes.queryLocator + randomText(12, BASE62))

/** A custom-object key prefix (`a00`, `a01`, ...). @internal */
export const customKeyPrefix = (index: number): string => "a" + base62(index, 2)
