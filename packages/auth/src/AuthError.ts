/**
 * The typed errors of `@effect-salesforce/auth`.
 *
 * Every error names what went wrong and never carries a secret: messages are built from
 * Salesforce's error codes and descriptions, field names and HTTP statuses, never from
 * credentials, tokens or request bodies.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@effect-salesforce/auth/AuthError")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Salesforce said no: wrong credentials, an unknown client id, a dead refresh token, an
 * expired password... A definite answer, never retried, and remembered by the
 * `TokenProvider` for its failure cool-down.
 *
 * `code` is Salesforce's own code (`INVALID_LOGIN`, `invalid_grant`, `invalid_client_id`, ...).
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>(
  "@effect-salesforce/auth/AuthenticationError"
)("AuthenticationError", {
  /** The auth method that failed: `SoapLogin`, `ClientCredentials`, a custom name... */
  method: Schema.String,
  /** Salesforce's error code. */
  code: Schema.String,
  /** Salesforce's error description. */
  description: Schema.String,
  /** The HTTP status of the answer, when there was one. */
  status: Schema.optional(Schema.Number),
  /** What to do instead, when the flow is retired or the app is not set up for it. */
  hint: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** A definite "no" is never retried. */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.method}: [${this.code}] ${this.description}${this.hint === undefined ? "" : `. Hint: ${this.hint}`}`
  }
}

/**
 * The token endpoint could not be reached or did not answer usefully: connection refused or
 * reset, a timeout, a 5xx or a 429. Transient: retried by the `RetryPolicy`, except reason
 * `InvalidRequest` (an invalid URL or a body that could not be encoded: the request never left
 * the process, and sending it again cannot help).
 *
 * Its counterpart for REST calls is the client's `ConnectionError`: a user can tell a failing
 * token endpoint from a failing instance by tag.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>(
  "@effect-salesforce/auth/TransportError"
)("TransportError", {
  method: Schema.String,
  reason: Schema.Literal("Connection", "Timeout", "Status", "InvalidRequest"),
  /** What was being called, as `POST https://host/path` (never a query string or body). */
  request: Schema.String,
  status: Schema.optional(Schema.Number),
  detail: Schema.String,
  /** A server-provided hint, in milliseconds, from `Retry-After`. */
  retryAfterMillis: Schema.optional(Schema.Number)
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** Transport faults are worth another try; a request that never left the process is not. */
  get isRetryable(): boolean {
    return this.reason !== "InvalidRequest"
  }
  override get message(): string {
    if (this.reason === "InvalidRequest") return `${this.method}: could not send ${this.request}: ${this.detail}`
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return `${this.method}: ${this.reason.toLowerCase()} error calling ${this.request}${status}: ${this.detail}`
  }
}

/**
 * The answer was not what Salesforce sends: an HTML page, an empty or truncated body, JSON
 * without `access_token`, SOAP without `sessionId`... `detail` says what was wrong or missing.
 *
 * @since 0.1.0
 * @category errors
 */
export class MalformedResponseError extends Schema.TaggedError<MalformedResponseError>(
  "@effect-salesforce/auth/MalformedResponseError"
)("MalformedResponseError", {
  method: Schema.String,
  request: Schema.String,
  status: Schema.optional(Schema.Number),
  detail: Schema.String
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** A malformed answer usually comes from a proxy or an outage page: not retried. */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return `${this.method}: unexpected response from ${this.request}${status}: ${this.detail}`
  }
}

/**
 * The configuration is unusable: a base URL that is not a Salesforce host, plain `http` to a
 * non-loopback host, a malformed API version, a private key that cannot be read or parsed...
 * Raised when a layer is built, before any credential is sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidConfigError extends Schema.TaggedError<InvalidConfigError>(
  "@effect-salesforce/auth/InvalidConfigError"
)("InvalidConfigError", {
  /** The option or environment variable at fault. */
  field: Schema.String,
  detail: Schema.String
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `Invalid ${this.field}: ${this.detail}`
  }
}

/**
 * A shared `TokenStore` (`@effect-salesforce/redis`) could not be used: unreachable, timed out,
 * or (fail-closed) a refresh token that Salesforce had just rotated could not be saved, so no
 * process may refresh with the dead one. `operation` says which step failed.
 *
 * @since 0.2.0
 * @category errors
 */
export class TokenStoreError extends Schema.TaggedError<TokenStoreError>(
  "@effect-salesforce/auth/TokenStoreError"
)("TokenStoreError", {
  method: Schema.String,
  /** `read`, `lock`, `renew`, `write`, `rotate`... */
  operation: Schema.String,
  detail: Schema.String
}) {
  /** @since 0.2.0 */
  readonly [TypeId]: TypeId = TypeId
  /** The store's own retries and lease already ran; the provider does not retry on top. */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `${this.method}: token store ${this.operation} failed: ${this.detail}`
  }
}

/**
 * What a `TokenProvider` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type AuthError = AuthenticationError | TransportError | MalformedResponseError | TokenStoreError

const authErrorTags: ReadonlySet<unknown> = new Set([
  "AuthenticationError",
  "TransportError",
  "MalformedResponseError",
  "TokenStoreError"
])

/**
 * Is this one of the errors a `TokenProvider` fails with ({@link AuthError})? Exactly those:
 * not `InvalidConfigError` (raised when a layer is built), not the client's errors.
 *
 * @since 0.1.0
 * @category guards
 */
export const isAuthError = (u: unknown): u is AuthError =>
  Predicate.hasProperty(u, TypeId) && Predicate.hasProperty(u, "_tag") && authErrorTags.has(u._tag)

/**
 * `true` when an error says a retry may help. Works on any error that has an `isRetryable`
 * property (auth errors here, client errors in `@effect-salesforce/client`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (u: unknown): boolean =>
  Predicate.hasProperty(u, "isRetryable") && u.isRetryable === true
