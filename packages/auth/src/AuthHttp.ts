/**
 * The HTTP path of token calls: the user's `HttpClient` transport through
 * {@link HttpExchange.send} (a bounded body, 1 MiB by default; echoed secrets scrubbed; no
 * redirects; a per-request timeout), with `Request` / `Response` events (no headers, no bodies,
 * no query strings), and failures mapped to this package's errors. It never adds `Authorization`.
 *
 * Built-in methods use it, and custom auth should too (never the authenticated client: that
 * would recurse into the `TokenProvider`). Retries are applied by `TokenProvider.make` around
 * the whole acquisition, per the `RetryPolicy`, so each retry is a complete new attempt (a JWT
 * method signs a fresh assertion).
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { MalformedResponseError, TransportError } from "./AuthError.js"
import * as HttpExchange from "./HttpExchange.js"
import { SalesforceEvent } from "./SalesforceEvent.js"
import { SalesforceEvents } from "./SalesforceEvents.js"
import { describeUrl } from "./internal/url.js"

/**
 * @since 0.1.0
 */
export declare namespace AuthHttp {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /**
     * Send a request and read the whole body. Any status is a success here: interpreting it is
     * the auth method's job (see {@link transientStatus}). `method` names the auth method in
     * errors; `secrets` are the credentials the request carries (in its body), scrubbed from
     * whatever the server answers (the `Authorization` header's are found by themselves).
     */
    readonly send: (
      request: HttpClientRequest.HttpClientRequest,
      options: {
        readonly method: string
        readonly secrets?: Iterable<string | Redacted.Redacted<string>> | undefined
      }
    ) => Effect.Effect<Response, TransportError | MalformedResponseError>
  }

  /**
   * A whole answer: status, headers, body (scrubbed of the request's secrets unless 2xx),
   * `description` (`POST https://host/path`, for error messages), `retryAfterMillis`, and
   * `scrub` for any text of a 2xx body that an error quotes.
   *
   * @since 0.1.0
   * @category models
   */
  export type Response = HttpExchange.Exchange

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** Bound on one HTTP request, body included. Default 30 seconds. */
    readonly requestTimeout?: Duration.DurationInput | undefined
    /** The largest body read (after decompression); a larger one is a `MalformedResponseError`. Default 1 MiB. */
    readonly maxResponseBytes?: number | undefined
  }
}

/**
 * The default bound on an auth answer's body: 1 MiB (a real token or SOAP login answer is a few KB).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxResponseBytes = 1024 * 1024

/**
 * The token-call sender over the `HttpClient` and `SalesforceEvents` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: AuthHttp.Options = {}
): Effect.Effect<AuthHttp.Service, never, HttpClient.HttpClient | SalesforceEvents> =>
  Effect.gen(function*() {
    // no platform span (and so no trace headers, traceparent or b3, to Salesforce): our `AuthHttp.send` span replaces it
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
    const events = yield* SalesforceEvents
    const timeout = Duration.decode(options.requestTimeout ?? Duration.seconds(30))
    const maxBytes = options.maxResponseBytes ?? defaultMaxResponseBytes
    const send: AuthHttp.Service["send"] = (request, { method, secrets }) =>
      Effect.gen(function*() {
        const url = describeUrl(request.url)
        yield* events.publish(SalesforceEvent.Request({ source: "auth", method: request.method, url }))
        const started = yield* Clock.currentTimeMillis
        const response = yield* HttpExchange.send(client, request, { maxBytes, timeout, secrets }).pipe(
          Effect.mapError((error) => fromExchangeError(error, method))
        )
        const finished = yield* Clock.currentTimeMillis
        yield* Effect.annotateCurrentSpan("http.response.status_code", response.status)
        yield* events.publish(SalesforceEvent.Response({
          source: "auth",
          method: request.method,
          url,
          status: response.status,
          durationMillis: finished - started
        }))
        return response
      }).pipe(Effect.withSpan("AuthHttp.send", { captureStackTrace: false, attributes: { "salesforce.auth.method": method } }))
    return { send }
  })

/**
 * This package's error for an exchange that produced no answer: `TransportError` (retried,
 * except a request that never left the process), or `MalformedResponseError` for a body over
 * the limit (never retried).
 *
 * @since 0.1.0
 * @category errors
 */
export const fromExchangeError = (
  error: HttpExchange.ExchangeError,
  method: string
): TransportError | MalformedResponseError =>
  error.reason === "TooLarge"
    ? new MalformedResponseError({
      method,
      request: error.request,
      detail: error.detail,
      ...(error.status === undefined ? {} : { status: error.status })
    })
    : new TransportError({ method, reason: error.reason, request: error.request, detail: error.detail })

/**
 * The `TransportError` for a response that is worth retrying (5xx, 429, 408), with the
 * server's `Retry-After`; `None` for any other status.
 *
 * @since 0.1.0
 * @category errors
 */
export const transientStatus = (
  response: AuthHttp.Response,
  method: string
): Option.Option<TransportError> => {
  const { status } = response
  if (status !== 408 && status !== 429 && status < 500) return Option.none()
  const retryAfter = response.retryAfterMillis
  return Option.some(
    new TransportError({
      method,
      reason: "Status",
      request: response.description,
      status,
      detail: status === 429 ? "rate limited" : status === 408 ? "request timeout" : "server error",
      ...(retryAfter === undefined ? {} : { retryAfterMillis: retryAfter })
    })
  )
}

