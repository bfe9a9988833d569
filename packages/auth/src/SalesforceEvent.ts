/**
 * The events published on the `SalesforceEvents` bus: HTTP traffic, retries, API usage and
 * token lifecycle. No event ever carries a secret: URLs never hold credentials, headers are
 * not included, auth request bodies are not included, and a rotated refresh token is `Redacted`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as DateTime from "effect/DateTime"
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
 * The fields of each event, besides its `_tag` and `timestamp`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Fields {
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
  /**
   * A shared `TokenStore` could not be reached for an acquisition. With `policy: "local"` this
   * process acquires alone (no coordination with the rest of the fleet); with `"fail"` the
   * acquisition failed with a `TokenStoreError`. `detail` names the store operation's failure,
   * never a secret.
   */
  TokenStoreUnavailable: {
    readonly authMethod: string
    readonly policy: "fail" | "local"
    readonly operation: string
    readonly detail: string
  }
  /**
   * A subscriber fell more than the bus's capacity behind and lost `count` of the oldest events
   * since the last report (`total` since the bus started). Reported at most once a second.
   */
  EventsDropped: {
    readonly count: number
    readonly total: number
  }
}

/**
 * Every event carries `timestamp`, when it happened. `String(event)` is {@link format}.
 *
 * @since 0.1.0
 * @category models
 */
export type SalesforceEvent = Data.TaggedEnum<
  { readonly [Tag in keyof Fields]: Fields[Tag] & { readonly timestamp: DateTime.Utc } }
>

/**
 * What a constructor takes: the event's fields, and its `timestamp` if not now.
 *
 * @since 0.2.0
 * @category models
 */
export type Args<Tag extends SalesforceEvent["_tag"]> = Fields[Tag] & { readonly timestamp?: DateTime.Utc | undefined }

// Structural equality like `Data`, plus a readable `String(event)`
const EventProto = Object.assign(Object.create(Data.Structural.prototype), {
  toString(this: SalesforceEvent) {
    return format(this)
  }
})

const constructor = <Tag extends SalesforceEvent["_tag"]>(tag: Tag) => (args: Args<Tag>): Extract<SalesforceEvent, { readonly _tag: Tag }> =>
  Object.assign(Object.create(EventProto), args, {
    _tag: tag,
    timestamp: args.timestamp ?? DateTime.unsafeNow()
  })

const base = Data.taggedEnum<SalesforceEvent>()

/**
 * Constructors and matchers: `SalesforceEvent.Request({...})` (stamped with the current time),
 * `SalesforceEvent.$is("Retry")`, `SalesforceEvent.$match(...)`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const SalesforceEvent: {
  readonly [Tag in SalesforceEvent["_tag"]]: (args: Args<Tag>) => Extract<SalesforceEvent, { readonly _tag: Tag }>
} & Pick<Data.TaggedEnum.Constructor<SalesforceEvent>, "$is" | "$match"> = {
  Request: constructor("Request"),
  Response: constructor("Response"),
  Retry: constructor("Retry"),
  ApiUsage: constructor("ApiUsage"),
  TokenAcquired: constructor("TokenAcquired"),
  TokenRefreshed: constructor("TokenRefreshed"),
  TokenFailed: constructor("TokenFailed"),
  RefreshTokenRotated: constructor("RefreshTokenRotated"),
  TokenStoreUnavailable: constructor("TokenStoreUnavailable"),
  EventsDropped: constructor("EventsDropped"),
  $is: base.$is,
  $match: base.$match
}

/**
 * A one-line, human-readable rendering of an event, for logs: its time, then what happened.
 * Contains no secret, and never throws, whatever the values.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (event: SalesforceEvent): string => `${instant(event.timestamp)} ${describe(event)}`

const describe = (event: SalesforceEvent): string => {
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
    case "TokenStoreUnavailable":
      return `token store unreachable for ${event.authMethod} (${event.operation}: ${event.detail}); ${
        event.policy === "local" ? "acquiring in this process alone" : "acquisition failed"
      }`
    case "EventsDropped":
      return `${event.count} event(s) dropped for a subscriber that fell behind (${event.total} in all)`
  }
}

/** An instant as ISO 8601, or as raw epoch milliseconds when `Date` cannot represent it. */
const instant = (at: DateTime.Utc | undefined): string => {
  const millis = at?.epochMillis
  if (typeof millis !== "number" || !Number.isFinite(millis)) return "(no time)"
  return Math.abs(millis) <= 8.64e15 ? new Date(millis).toISOString() : `${millis} ms after the epoch`
}

const expiry = (expiresAt: Option.Option<DateTime.Utc>): string =>
  expiresAt._tag === "Some" ? `, expires ${instant(expiresAt.value)}` : ""
