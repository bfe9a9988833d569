/**
 * The request pipeline behind `Salesforce.execute`: URL resolution against the token's
 * instance, headers, the concurrency limit, one send, 401 recovery, error mapping, retries
 * and events.
 * @internal
 */
import type * as AccessToken from "@effect-salesforce/auth/AccessToken"
import { isAuthError } from "@effect-salesforce/auth/AuthError"
import * as HttpExchange from "@effect-salesforce/auth/HttpExchange"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import type { SalesforceEvents } from "@effect-salesforce/auth/SalesforceEvents"
import type { TokenProvider } from "@effect-salesforce/auth/TokenProvider"
import * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { Salesforce } from "../Salesforce.js"
import {
  ConnectionError,
  InvalidRequestError,
  ResponseTooLargeError,
  ServerError,
  type SessionRejectedError
} from "../SalesforceError.js"
import { headersProblem } from "./headers.js"
import { BufferedResponse } from "./response.js"
import { errorEntries, type Exchange, fromExchange, isRefreshable401, parseJson, sessionRejected } from "./errors.js"

/** What the pipeline is built from. @internal */
export interface Deps {
  readonly client: HttpClient.HttpClient
  readonly tokens: TokenProvider.Service
  readonly events: SalesforceEvents.Service
  readonly apiVersion: string
  /** Runs an effect under the client's concurrency limit. */
  readonly withPermit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly clientName: string
  /** The client's own policy, if it was given one; else the `RetryPolicy` in context when each call runs. */
  readonly policy: RetryPolicy.Policy | undefined
  readonly requestTimeout: Duration.Duration
  readonly maxResponseBytes: number
  /** How long a session refused even after a refresh is remembered. */
  readonly rejectedSessionCooldown: Duration.Duration
}

/** @internal */
export type Execute = (
  request: HttpClientRequest.HttpClientRequest,
  options?: Salesforce.RequestOptions
) => Effect.Effect<HttpClientResponse.HttpClientResponse, Salesforce.Error>

/**
 * Resolve a request URL against the instance: a path from the root (`/services/...`), a path
 * relative to `/services/data/vXX.X/`, or an absolute URL on the instance itself. Anything on
 * another origin is refused: the token never leaves its instance.
 * @internal
 */
export const resolveUrl = (raw: string, instanceUrl: string, apiVersion: string): URL | string => {
  const base = new URL(instanceUrl)
  let target: URL
  try {
    const relative = !/^[a-z][a-z0-9+.-]*:/i.test(raw) && !/^[/\\]/.test(raw)
    target = new URL(raw, relative ? `${base.origin}/services/data/v${apiVersion}/` : base)
  } catch {
    return `"${raw.length > 80 ? `${raw.slice(0, 80)}…` : raw}" is not a valid URL`
  }
  if (target.origin !== base.origin) {
    return `${target.origin} is not the instance ${base.origin}; the access token is only ever sent to its own instance`
  }
  if (target.username !== "" || target.password !== "") return "the URL must not carry credentials"
  target.hash = ""
  return target
}

/** A rough `METHOD /path` for a request whose URL is not resolved yet (no query string). @internal */
export const describeRaw = (request: HttpClientRequest.HttpClientRequest): string =>
  `${request.method} ${request.url.split(/[?#]/)[0]}`

/** `api-usage=used/limit` from `Sforce-Limit-Info`. @internal */
export const parseApiUsage = (header: string | undefined): { used: number; limit: number } | undefined => {
  const match = header === undefined ? null : /api-usage=(\d+)\/(\d+)/.exec(header)
  return match === null ? undefined : { used: Number(match[1]), limit: Number(match[2]) }
}

const isSuccess = (status: number) => (status >= 200 && status < 300) || status === 304

/** Can a request that failed this way be sent again without risking a duplicate? */
const safeToResend = (error: unknown): boolean =>
  !(error instanceof ServerError) && !(error instanceof ConnectionError && error.sent)

interface Prepared {
  readonly request: HttpClientRequest.HttpClientRequest
  readonly url: URL
  readonly description: string
}

/** The client's error for an exchange that produced no answer. */
const fromExchangeError = (
  error: HttpExchange.ExchangeError,
  maxResponseBytes: number
): ConnectionError | InvalidRequestError | ResponseTooLargeError => {
  switch (error.reason) {
    case "InvalidRequest":
      return new InvalidRequestError({ request: error.request, detail: error.detail })
    case "TooLarge":
      return new ResponseTooLargeError({
        request: error.request,
        maxResponseBytes,
        ...(error.status === undefined ? {} : { status: error.status })
      })
    default:
      return new ConnectionError({ reason: error.reason, request: error.request, detail: error.detail, sent: error.sent })
  }
}

const sameToken = (a: AccessToken.AccessToken, b: AccessToken.AccessToken): boolean =>
  a === b || Redacted.value(a.value) === Redacted.value(b.value)

/** @internal */
export const make = (deps: Deps): Execute => {
  const { client, events, tokens, withPermit } = deps
  const cooldownMillis = Duration.toMillis(deps.rejectedSessionCooldown)
  /**
   * A token that the instance refused even fresh from the token endpoint, until when: requests
   * that would send it fail at once (no request, no login). One plain variable: it is only ever
   * replaced whole.
   */
  let rejected:
    | {
      readonly token: AccessToken.AccessToken
      readonly until: number
      readonly error: (request: string) => SessionRejectedError
    }
    | undefined

  const prepare = (
    request: HttpClientRequest.HttpClientRequest,
    token: AccessToken.AccessToken,
    options: Salesforce.RequestOptions
  ): Effect.Effect<Prepared, InvalidRequestError> => {
    const url = resolveUrl(request.url, token.instanceUrl, deps.apiVersion)
    if (typeof url === "string") {
      return Effect.fail(new InvalidRequestError({ request: describeRaw(request), detail: url }))
    }
    let prepared = HttpClientRequest.modify(request, {
      url: url.href,
      headers: Headers.remove(request.headers, "authorization")
    })
    if (options.headers !== undefined) prepared = HttpClientRequest.setHeaders(prepared, options.headers)
    if (prepared.headers["accept"] === undefined) prepared = HttpClientRequest.acceptJson(prepared)
    if (prepared.headers["sforce-call-options"] === undefined) {
      prepared = HttpClientRequest.setHeader(prepared, "Sforce-Call-Options", `client=${deps.clientName}`)
    }
    const badHeader = headersProblem(prepared.headers)
    if (badHeader !== undefined) return Effect.fail(new InvalidRequestError({ request: describeRaw(request), detail: badHeader }))
    return Effect.succeed({ request: prepared, url, description: `${request.method} ${url.pathname}` })
  }

  /** One send, body read, through the shared exchange (bounded, scrubbed of the token). */
  const sendOnce = (prepared: Prepared, token: AccessToken.AccessToken, timeout: Duration.Duration, maxBytes: number) =>
    Effect.gen(function*() {
      const { description, request } = prepared
      const url = `${prepared.url.origin}${prepared.url.pathname}`
      yield* events.publish(SalesforceEvent.Request({ source: "client", method: request.method, url }))
      const started = yield* Clock.currentTimeMillis
      const response = yield* HttpExchange.send(client, HttpClientRequest.bearerToken(request, token.value), {
        maxBytes,
        timeout,
        description
      }).pipe(Effect.mapError((error) => fromExchangeError(error, maxBytes)))
      const finished = yield* Clock.currentTimeMillis
      yield* events.publish(SalesforceEvent.Response({
        source: "client",
        method: request.method,
        url,
        status: response.status,
        durationMillis: finished - started
      }))
      yield* Effect.annotateCurrentSpan("http.response.status_code", response.status)
      const usage = parseApiUsage(response.headers["sforce-limit-info"])
      if (usage !== undefined) yield* events.publish(SalesforceEvent.ApiUsage(usage))
      const exchange: Exchange = {
        status: response.status,
        headers: response.headers,
        text: response.body,
        description,
        retryAfterMillis: response.retryAfterMillis
      }
      return { exchange, headers: response.headers }
    })

  /**
   * Under the concurrency permit: read the token (so a request that waited for its permit sends
   * the token current when it goes, not the one current when it queued), then send.
   */
  const sendWithToken = (
    request: HttpClientRequest.HttpClientRequest,
    options: Salesforce.RequestOptions,
    timeout: Duration.Duration,
    maxBytes: number
  ) =>
    withPermit(Effect.gen(function*() {
      const token = yield* tokens.get
      const cooling = rejected
      if (cooling !== undefined && sameToken(cooling.token, token)) {
        if ((yield* Clock.currentTimeMillis) < cooling.until) return yield* Effect.fail(cooling.error(describeRaw(request)))
        rejected = undefined
      }
      const prepared = yield* prepare(request, token, options)
      const { exchange, headers } = yield* sendOnce(prepared, token, timeout, maxBytes)
      return { token, prepared, exchange, headers }
    }))

  const toResponse = (prepared: Prepared, exchange: Exchange, headers: Headers.Headers) =>
    new BufferedResponse(prepared.request, exchange.status, headers, exchange.text)

  return (request, options = {}) => {
    const timeout = options.requestTimeout === undefined ? deps.requestTimeout : Duration.decode(options.requestTimeout)
    const maxBytes = options.maxResponseBytes ?? deps.maxResponseBytes
    const idempotent = request.method !== "POST" && request.method !== "PATCH"
    const resendAny = idempotent || options.allowResend === true
    const operation = describeRaw(request)
    const attempt: Effect.Effect<HttpClientResponse.HttpClientResponse, Salesforce.Error> = Effect.suspend(() => {
      let refreshed = false
      return Effect.gen(function*() {
        while (true) {
          const { exchange, headers, prepared, token } = yield* sendWithToken(request, options, timeout, maxBytes)
          if (isSuccess(exchange.status)) return toResponse(prepared, exchange, headers)
          if (exchange.status !== 401) return yield* Effect.fail(fromExchange(exchange))
          const entries = errorEntries(parseJson(exchange.text))
          if (!isRefreshable401(entries)) {
            return yield* Effect.fail(sessionRejected(exchange, entries, "Unfixable", cooldownMillis))
          }
          if (refreshed) {
            // a fresh token was refused too: remember it, so the next requests neither send it nor log in again
            const error = sessionRejected(exchange, entries, "AfterRefresh", cooldownMillis)
            if (cooldownMillis > 0) {
              rejected = {
                token,
                until: (yield* Clock.currentTimeMillis) + cooldownMillis,
                error: (description) =>
                  sessionRejected({ ...exchange, description }, entries, "CoolingDown", cooldownMillis)
              }
            }
            return yield* Effect.fail(error)
          }
          // once per logical request: replace exactly the token that was rejected
          refreshed = true
          yield* tokens.refresh(token)
        }
      })
    })
    return Effect.flatMap(RetryPolicy.RetryPolicy, (current) => {
      // read when the call runs: the call's own option, the client's, or the policy in the caller's context
      const policy = options.retryPolicy ?? deps.policy ?? current
      const effective: RetryPolicy.Policy = {
        ...policy,
        // the token provider retries its own transient faults; an ambiguous failure of a
        // non-idempotent request is not resent unless the caller opted in
        isTransient: (error) => !isAuthError(error) && policy.isTransient(error) && (resendAny || safeToResend(error))
      }
      return RetryPolicy.retry(attempt, effective, ({ attempt, delay, error }) =>
        events.publish(SalesforceEvent.Retry({
          source: "client",
          operation,
          attempt,
          delayMillis: Duration.toMillis(delay),
          reason: error.message
        })))
    }).pipe(
      Effect.withSpan("Salesforce.execute", {
        kind: "client",
        captureStackTrace: false,
        attributes: { "http.request.method": request.method, "salesforce.request": operation }
      })
    )
  }
}
