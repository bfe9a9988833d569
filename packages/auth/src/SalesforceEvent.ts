/**
 * The events published on the `SalesforceEvents` bus: HTTP traffic, retries, API usage and
 * token lifecycle. No event ever carries a secret: URLs never hold credentials, headers are
 * not included, auth request bodies are not included, and a rotated refresh token is `Redacted`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import type * as DateTime from "effect/DateTime"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"

/**
 * Who made an HTTP call: a token call of an auth method, or a client request.
 *
 * @since 0.1.0
 * @category models
 */
export type Source = "auth" | "client"

/**
 * Why a token was refreshed.
 * - `expired`: a caller found it inside the expiry margin;
 * - `proactive`: the background refresh ran ahead of expiry;
 * - `rejected`: the server refused it (401) and a caller asked for a replacement;
 * - `manual`: `refresh()` was called without a stale token.
 *
 * @since 0.1.0
 * @category models
 */
export type RefreshTrigger = "expired" | "proactive" | "rejected" | "manual"

/**
 * @since 0.1.0
 * @category models
 */
export type SalesforceEvent = Data.TaggedEnum<{
  /** An HTTP request is about to be sent. */
  Request: {
    readonly source: Source
    readonly method: string
    readonly url: string
  }
  /** An HTTP response arrived (any status). */
  Response: {
    readonly source: Source
    readonly method: string
    readonly url: string
    readonly status: number
    readonly durationMillis: number
  }
  /** A failed attempt will be retried after `delayMillis`. */
  Retry: {
    readonly source: Source
    readonly operation: string
    readonly attempt: number
    readonly delayMillis: number
    readonly reason: string
  }
  /** API usage parsed from the `Sforce-Limit-Info` header. */
  ApiUsage: {
    readonly used: number
    readonly limit: number
  }
  /** A first token was acquired (or one after `invalidate`). */
  TokenAcquired: {
    readonly authMethod: string
    readonly instanceUrl: string
    readonly expiresAt: Option.Option<DateTime.Utc>
  }
  /** A token replaced an earlier one. */
  TokenRefreshed: {
    readonly authMethod: string
    readonly instanceUrl: string
    readonly expiresAt: Option.Option<DateTime.Utc>
    readonly trigger: RefreshTrigger
  }
  /** An acquisition or refresh failed; `errorTag`, `code` and `message` never hold secrets. */
  TokenFailed: {
    readonly authMethod: string
    readonly trigger: RefreshTrigger | "initial"
    readonly errorTag: string
    readonly code: Option.Option<string>
    readonly message: string
  }
  /** A refresh-token grant returned a new refresh token (rotation); persist it if you store one. */
  RefreshTokenRotated: {
    readonly authMethod: string
    readonly refreshToken: Redacted.Redacted<string>
  }
}>

/**
 * Constructors and matchers: `SalesforceEvent.Request({...})`, `SalesforceEvent.$is("Retry")`,
 * `SalesforceEvent.$match(...)`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const SalesforceEvent = Data.taggedEnum<SalesforceEvent>()

/**
 * A one-line, human-readable rendering of an event, for logs. Contains no secret.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (event: SalesforceEvent): string => {
  switch (event._tag) {
    case "Request":
      return `${event.source} → ${event.method} ${event.url}`
    case "Response":
      return `${event.source} ← ${event.status} ${event.method} ${event.url} (${event.durationMillis} ms)`
    case "Retry":
      return `${event.source} ↻ retry #${event.attempt} of ${event.operation} in ${event.delayMillis} ms: ${event.reason}`
    case "ApiUsage":
      return `api usage ${event.used}/${event.limit}`
    case "TokenAcquired":
      return `token acquired by ${event.authMethod} for ${event.instanceUrl}${expiry(event.expiresAt)}`
    case "TokenRefreshed":
      return `token refreshed by ${event.authMethod} (${event.trigger}) for ${event.instanceUrl}${expiry(event.expiresAt)}`
    case "TokenFailed":
      return `token ${event.trigger === "initial" ? "acquisition" : `refresh (${event.trigger})`} by ${event.authMethod} failed: ${event.message}`
    case "RefreshTokenRotated":
      return `refresh token rotated by ${event.authMethod}`
  }
}

const expiry = (expiresAt: Option.Option<DateTime.Utc>): string =>
  expiresAt._tag === "Some" ? `, expires ${new Date(expiresAt.value.epochMillis).toISOString()}` : ""
