/**
 * Tokens at rest: AES-256-GCM through `node:crypto`, with the entry's key name as associated
 * data so a sealed value cannot be moved to another entry. The 256-bit key is derived with HKDF
 * from the secret the user gives (any length), so a passphrase and a random key both work.
 * @internal
 */
import * as Crypto from "node:crypto"

const PREFIX = "esf1:"
const IV_BYTES = 12
const TAG_BYTES = 16

/** @internal */
export interface Sealer {
  readonly seal: (plain: string, keyName: string) => string
  /** `undefined` when the value was not sealed by this key (tampered, other key, plain text). */
  readonly open: (sealed: string, keyName: string) => string | undefined
}

/** Stores values as they are: for a store without an encryption key. @internal */
export const plain: Sealer = {
  seal: (value) => value,
  open: (value) => (value.startsWith(PREFIX) ? undefined : value)
}

/** @internal */
export const aesGcm = (secret: string): Sealer => {
  const key = Buffer.from(Crypto.hkdfSync("sha256", Buffer.from(secret, "utf8"), "effect-salesforce/redis", "token-store v1", 32))
  return {
    seal: (value, keyName) => {
      const iv = Crypto.randomBytes(IV_BYTES)
      const cipher = Crypto.createCipheriv("aes-256-gcm", key, iv)
      cipher.setAAD(Buffer.from(keyName, "utf8"))
      const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final()])
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")
    },
    open: (sealed, keyName) => {
      if (!sealed.startsWith(PREFIX)) return undefined
      const raw = Buffer.from(sealed.slice(PREFIX.length), "base64")
      if (raw.length < IV_BYTES + TAG_BYTES) return undefined
      try {
        const decipher = Crypto.createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES))
        decipher.setAAD(Buffer.from(keyName, "utf8"))
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8")
      } catch {
        return undefined
      }
    }
  }
}
