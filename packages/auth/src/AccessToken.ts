/**
 * An access token and what is known about it: where to use it and until when.
 *
 * The value is `Redacted`: `String(token)`, `JSON.stringify(token)` and `util.inspect(token)`
 * show `<redacted>`. Unwrap it only at the wire with `Redacted.value`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/**
 * @since 0.1.0
 * @category models
 */
export class AccessToken extends Data.Class<{
  /** The bearer token (an opaque `00D...!...` session id or a JWT-shaped token). */
  readonly value: Redacted.Redacted<string>
  /** The org's instance URL, `https://acme.my.salesforce.com`: every API call goes there. */
  readonly instanceUrl: string
  /** When the token was issued (or received). */
  readonly issuedAt: DateTime.Utc
  /** When it stops working, when known; `None` means "until the server rejects it". */
  readonly expiresAt: Option.Option<DateTime.Utc>
}> {
  override toString(): string {
    return `AccessToken(<redacted>, ${this.instanceUrl})`
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (fields: {
  readonly value: Redacted.Redacted<string>
  readonly instanceUrl: string
  readonly issuedAt: DateTime.Utc
  readonly expiresAt?: DateTime.Utc | undefined
}): AccessToken =>
  new AccessToken({
    value: fields.value,
    instanceUrl: fields.instanceUrl,
    issuedAt: fields.issuedAt,
    expiresAt: Option.fromNullable(fields.expiresAt)
  })

/**
 * `true` when the token is known to expire within `margin` of `now` (or already has).
 * A token without a known expiry never expires by the clock.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isExpired = (token: AccessToken, now: DateTime.Utc, margin: Duration.DurationInput = 0): boolean =>
  Option.isSome(token.expiresAt) &&
  token.expiresAt.value.epochMillis - Duration.toMillis(margin) <= now.epochMillis

/**
 * `true` when both tokens carry the same secret value.
 *
 * @since 0.1.0
 * @category predicates
 */
export const sameValue = (a: AccessToken, b: AccessToken): boolean =>
  a === b || Redacted.value(a.value) === Redacted.value(b.value)

/**
 * The `Authorization` header value, `Bearer <token>`, still redacted.
 *
 * @since 0.1.0
 * @category getters
 */
export const bearer = (token: AccessToken): Redacted.Redacted<string> =>
  Redacted.make(`Bearer ${Redacted.value(token.value)}`)

/**
 * @since 0.1.0
 * @category getters
 */
export const expiresAtMillis = (token: AccessToken): number | undefined =>
  Option.isSome(token.expiresAt) ? token.expiresAt.value.epochMillis : undefined
