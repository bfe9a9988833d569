/**
 * The typed errors of `@effect-salesforce/client`.
 *
 * A REST call that Salesforce refuses fails with one of these, each carrying the HTTP
 * `status`, Salesforce's `errorCode` and `message`, and `request` (`GET /services/data/...`,
 * never a query string, header or body). Every error has an `isRetryable` getter that the
 * `RetryPolicy` reads, and `retryAfterMillis` when the server sent `Retry-After`.
 *
 * Each error says where it came from: these are the instance's answers (and the client's own
 * refusals); a failed token acquisition is the auth package's `AuthError`. So
 * `catchTags({ ConnectionError, TransportError })` tells a failing instance (`ConnectionError`)
 * from a failing token endpoint (`TransportError`), and a 401 that a fresh token did not (or
 * cannot) fix is a {@link SessionRejectedError}, not the token endpoint's `AuthenticationError`.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@effect-salesforce/client/SalesforceError")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * One entry of Salesforce's error array: `{ errorCode, message, fields? }` (`statusCode` is
 * read as `errorCode` too).
 *
 * @since 0.1.0
 * @category models
 */
export const ApiErrorEntry = Schema.Struct({
  errorCode: Schema.String,
  message: Schema.String,
  fields: Schema.optional(Schema.Array(Schema.String))
})

/**
 * @since 0.1.0
 * @category models
 */
export type ApiErrorEntry = typeof ApiErrorEntry.Type

/** The fields every HTTP-status error has. */
const apiFields = {
  /** The HTTP status. */
  status: Schema.Number,
  /** Salesforce's error code (`NOT_FOUND`, `INVALID_FIELD`...), or `HTTP_<status>` when the body had none. */
  errorCode: Schema.String,
  /** Salesforce's message, or a summary of a non-JSON body. */
  message: Schema.String,
  /** `GET /services/data/v64.0/sobjects/Account/001...` (no query string). */
  request: Schema.String,
  /** The fields named by the first error, when any. */
  fields: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  /** Every entry of the error array (Salesforce may return several). */
  errors: Schema.optionalWith(Schema.Array(ApiErrorEntry), { default: () => [] }),
  /** The server's `Retry-After`, in milliseconds. */
  retryAfterMillis: Schema.optional(Schema.Number)
}

/**
 * 404: no such record (`NOT_FOUND`), a deleted one (`ENTITY_IS_DELETED`), or an unknown
 * resource. Never retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFoundError extends Schema.TaggedError<NotFoundError>("@effect-salesforce/client/NotFoundError")(
  "NotFoundError",
  apiFields
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 403: the user may not do this (`INSUFFICIENT_ACCESS`...). Never retried. (The API request
 * limits, also 403, are {@link RequestLimitExceededError}.)
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthorizationError extends Schema.TaggedError<AuthorizationError>(
  "@effect-salesforce/client/AuthorizationError"
)("AuthorizationError", apiFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * Which limit was hit:
 * - `Daily`: the rolling 24-hour API allocation ("TotalRequests Limit exceeded"); retrying cannot help;
 * - `Concurrent`: too many long-running requests ("ConcurrentPerOrgLongTxn Limit exceeded"); clears in seconds;
 * - `RateLimited`: HTTP 429;
 * - `Other`: another `REQUEST_LIMIT_EXCEEDED` message; not retried.
 *
 * @since 0.1.0
 * @category models
 */
export const LimitKind = Schema.Literal("Daily", "Concurrent", "RateLimited", "Other")

/**
 * @since 0.1.0
 * @category models
 */
export type LimitKind = typeof LimitKind.Type

/**
 * `REQUEST_LIMIT_EXCEEDED` (403) or HTTP 429. Retried (with backoff) only when it clears by
 * itself: the concurrent-long-request limit and 429; never the daily allocation.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestLimitExceededError extends Schema.TaggedError<RequestLimitExceededError>(
  "@effect-salesforce/client/RequestLimitExceededError"
)("RequestLimitExceededError", { ...apiFields, kind: LimitKind }) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return this.kind === "Concurrent" || this.kind === "RateLimited"
  }
}

/**
 * A record a duplicate rule matched: its id, type and URL, and the match details.
 *
 * @since 0.1.0
 * @category models
 */
export const DuplicateMatch = Schema.Struct({
  id: Schema.optional(Schema.String),
  sobject: Schema.optional(Schema.String),
  url: Schema.optional(Schema.String),
  matchConfidence: Schema.optional(Schema.Number),
  /** The matching rule. */
  rule: Schema.optional(Schema.String),
  /** The matching record as Salesforce returned it (at least `attributes` and `Id`). */
  record: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

/**
 * @since 0.1.0
 * @category models
 */
export type DuplicateMatch = typeof DuplicateMatch.Type

/**
 * 400 `DUPLICATES_DETECTED`: a duplicate rule blocked the save. `duplicates` lists the
 * records it matched; `duplicateResult` is Salesforce's raw object. Save anyway with the
 * request header `Sforce-Duplicate-Rule-Header: allowSave=true`. Never retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class DuplicatesDetectedError extends Schema.TaggedError<DuplicatesDetectedError>(
  "@effect-salesforce/client/DuplicatesDetectedError"
)("DuplicatesDetectedError", {
  ...apiFields,
  /** The duplicate rule that fired. */
  duplicateRule: Schema.optional(Schema.String),
  duplicates: Schema.Array(DuplicateMatch),
  duplicateResult: Schema.Unknown
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 300: an external id matched several records (`getByExternalId`, `upsert`). `urls` lists
 * them; `ids` are their record ids. Never retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class MoreThanOneRecordError extends Schema.TaggedError<MoreThanOneRecordError>(
  "@effect-salesforce/client/MoreThanOneRecordError"
)("MoreThanOneRecordError", { ...apiFields, urls: Schema.Array(Schema.String) }) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
  /** The record ids, the last segment of each URL. */
  get ids(): ReadonlyArray<string> {
    return this.urls.map((url) => url.split("/").pop() ?? url)
  }
}

/**
 * 5xx: Salesforce (or its edge) failed. Retried, except for a non-idempotent request (POST,
 * PATCH) whose body may have been processed, unless the call opts in with `allowResend`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerError extends Schema.TaggedError<ServerError>("@effect-salesforce/client/ServerError")(
  "ServerError",
  apiFields
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * Any other refusal: 400 validation and query errors (`MALFORMED_QUERY`, `INVALID_FIELD`,
 * `REQUIRED_FIELD_MISSING`...), 405, 409, 412, 420... Retried only for `UNABLE_TO_LOCK_ROW`
 * (a row lock that clears by itself) and 408.
 *
 * @since 0.1.0
 * @category errors
 */
export class SalesforceApiError extends Schema.TaggedError<SalesforceApiError>(
  "@effect-salesforce/client/SalesforceApiError"
)("SalesforceApiError", apiFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return this.errorCode === "UNABLE_TO_LOCK_ROW" || this.status === 408
  }
}

/**
 * No complete answer: the connection failed or dropped, or the attempt timed out. `sent` is
 * `false` only when the request certainly never reached the server (connection refused, DNS);
 * then even a POST is safe to resend. Retried, except a non-idempotent request with
 * `sent: true`, unless the call opts in with `allowResend`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>("@effect-salesforce/client/ConnectionError")(
  "ConnectionError",
  {
    reason: Schema.Literal("Connection", "Timeout"),
    request: Schema.String,
    detail: Schema.String,
    /** May the server have received (and processed) the request? */
    sent: Schema.Boolean
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return true
  }
  override get message(): string {
    return `${this.reason === "Timeout" ? "timed out" : "connection failed"} on ${this.request}: ${this.detail}`
  }
}

/**
 * The request was refused before sending: an absolute URL on another host than the token's
 * instance (the token never leaves the instance), an invalid URL, or a body that could not be
 * encoded. Never retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequestError extends Schema.TaggedError<InvalidRequestError>(
  "@effect-salesforce/client/InvalidRequestError"
)("InvalidRequestError", { request: Schema.String, detail: Schema.String }) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `refused ${this.request}: ${this.detail}`
  }
}

/**
 * Why a 401 ended the request:
 * - `Unfixable`: Salesforce's message says a new token cannot help (API not enabled for the
 *   user, IP restrictions, an expired password...);
 * - `AfterRefresh`: the token was replaced and the fresh one was refused too;
 * - `CoolingDown`: a fresh token was refused moments ago; until the cool-down ends, requests
 *   with that token fail at once (no request, no login).
 *
 * @since 0.1.0
 * @category models
 */
export const SessionRejectedReason = Schema.Literal("Unfixable", "AfterRefresh", "CoolingDown")

/**
 * @since 0.1.0
 * @category models
 */
export type SessionRejectedReason = typeof SessionRejectedReason.Type

/**
 * 401: the instance refused the session, and a new token did not or cannot fix it. The token
 * endpoint gave a token, so the likely causes are on the instance's side: the user's profile
 * lacks "API Enabled", the session is locked to another IP address, the org's login IP ranges
 * or the connected app's IP relaxation policy refuse this host, or the token belongs to another
 * org or instance; `message` is Salesforce's message followed by that explanation. After a
 * fresh token is refused, requests with it fail at once for the
 * client's `rejectedSessionCooldown` (reason `CoolingDown`): an instance that refuses every
 * session costs one login per cool-down, not one per request. Never retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionRejectedError extends Schema.TaggedError<SessionRejectedError>(
  "@effect-salesforce/client/SessionRejectedError"
)("SessionRejectedError", { ...apiFields, reason: SessionRejectedReason }) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * A successful answer the client cannot use: a body that is not JSON, or JSON without what the
 * call needs (a query page without `records`, a create result without `id`). `detail` says what
 * was wrong, never quoting the body. Never retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedResponseError extends Schema.TaggedError<UnexpectedResponseError>(
  "@effect-salesforce/client/UnexpectedResponseError"
)("UnexpectedResponseError", { request: Schema.String, status: Schema.Number, detail: Schema.String }) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `unexpected response to ${this.request} (HTTP ${this.status}): ${this.detail}`
  }
}

/**
 * The answer's body passed the client's `maxResponseBytes` (counted after decompression): the
 * read was stopped and the connection closed, so memory never grew past the limit. Raise the
 * limit (per client, or per call) if the answer is legitimately that large. Never retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseTooLargeError extends Schema.TaggedError<ResponseTooLargeError>(
  "@effect-salesforce/client/ResponseTooLargeError"
)("ResponseTooLargeError", {
  request: Schema.String,
  status: Schema.optional(Schema.Number),
  /** The limit that was passed, in bytes. */
  maxResponseBytes: Schema.Number
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `the response to ${this.request} is larger than maxResponseBytes (${this.maxResponseBytes} bytes); the read was stopped`
  }
}

/**
 * Every error of this module.
 *
 * @since 0.1.0
 * @category errors
 */
export type SalesforceError =
  | NotFoundError
  | AuthorizationError
  | RequestLimitExceededError
  | DuplicatesDetectedError
  | MoreThanOneRecordError
  | ServerError
  | SalesforceApiError
  | ConnectionError
  | InvalidRequestError
  | SessionRejectedError
  | UnexpectedResponseError
  | ResponseTooLargeError

/**
 * The errors that come from an HTTP status (they all have `status`, `errorCode`, `message`).
 *
 * @since 0.1.0
 * @category errors
 */
export type ApiError = Exclude<
  SalesforceError,
  ConnectionError | InvalidRequestError | UnexpectedResponseError | ResponseTooLargeError
>

/**
 * @since 0.1.0
 * @category guards
 */
export const isSalesforceError = (u: unknown): u is SalesforceError => Predicate.hasProperty(u, TypeId)
