/**
 * The JWT bearer assertion with `node:crypto` only: key parsing (PKCS#1, PKCS#8, encrypted
 * PEM) and RS256 signing. Error details name the problem, never the key or passphrase.
 * @internal
 */
import * as crypto from "node:crypto"
import * as Either from "effect/Either"

/** A PEM key from an environment variable often arrives with literal `\n`s. @internal */
export const normalizePem = (pem: string): string => {
  const text = pem.trim()
  return !text.includes("\n") && text.includes("\\n") ? text.replace(/\\n/g, "\n") : text
}

/**
 * Parse an RSA private key once. `Left` is a human-readable reason.
 * @internal
 */
export const parsePrivateKey = (
  pem: string,
  passphrase: string | undefined
): Either.Either<crypto.KeyObject, string> => {
  const text = normalizePem(pem)
  if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(text)) {
    return Either.left("this is a public key; the JWT bearer flow signs with the private key (the certificate goes to the connected app)")
  }
  if (/-----BEGIN CERTIFICATE-----/.test(text) && !/PRIVATE KEY-----/.test(text)) {
    return Either.left("this is a certificate; the JWT bearer flow signs with the private key (the certificate goes to the connected app)")
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    return Either.left(
      "not a PEM private key: expected \"-----BEGIN PRIVATE KEY-----\" (PKCS#8), \"-----BEGIN RSA PRIVATE KEY-----\" (PKCS#1) or \"-----BEGIN ENCRYPTED PRIVATE KEY-----\""
    )
  }
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text) || /Proc-Type:\s*4,ENCRYPTED/.test(text)
  if (encrypted && (passphrase === undefined || passphrase === "")) {
    return Either.left("the private key is encrypted; supply its passphrase")
  }
  let key: crypto.KeyObject
  try {
    key = crypto.createPrivateKey({ key: text, format: "pem", ...(passphrase === undefined ? {} : { passphrase }) })
  } catch (error) {
    const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined
    if (encrypted && (code === "ERR_OSSL_BAD_DECRYPT" || code === "ERR_OSSL_EVP_BAD_DECRYPT")) {
      return Either.left("the passphrase does not decrypt the private key (wrong passphrase)")
    }
    return Either.left(
      `the private key could not be parsed${encrypted ? " (wrong passphrase or damaged key)" : " (damaged or truncated PEM)"}${
        typeof code === "string" ? ` [${code}]` : ""
      }`
    )
  }
  if (key.asymmetricKeyType !== "rsa") {
    return Either.left(`RS256 needs an RSA key, this is a${key.asymmetricKeyType === "ec" ? "n" : ""} ${key.asymmetricKeyType} key`)
  }
  return Either.right(key)
}

/** @internal */
export interface Claims {
  readonly iss: string
  readonly sub: string
  readonly aud: string
  /** NumericDate, seconds. */
  readonly exp: number
}

const base64url = (text: string): string => Buffer.from(text, "utf8").toString("base64url")

/** A compact JWS, RS256, base64url without padding. @internal */
export const sign = (claims: Claims, key: crypto.KeyObject): string => {
  const input = `${base64url(JSON.stringify({ alg: "RS256" }))}.${base64url(JSON.stringify(claims))}`
  const signature = crypto.sign("sha256", Buffer.from(input, "utf8"), key).toString("base64url")
  return `${input}.${signature}`
}

/** The claims of a compact JWS (for tests and diagnostics; the signature is not checked). @internal */
export const decodeClaims = (jws: string): unknown => JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString("utf8"))
