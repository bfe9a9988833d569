/**
 * The HTTP path of token calls: the user's `HttpClient` transport, with `Request` / `Response`
 * events (no headers, no bodies, no query strings), a per-request timeout, no redirects, and
 * errors mapped to `TransportError`. It never adds `Authorization`.
 *
 * Built-in methods use it, and custom auth should too (never the authenticated client: that
 * would recurse into the `TokenProvider`). Retries are applied by `TokenProvider.make` around
 * the whole acquisition, per the `RetryPolicy`, so each retry is a complete new attempt (a JWT
 * method signs a fresh assertion).
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { TransportError } from "./AuthError.js"
import { SalesforceEvent } from "./SalesforceEvent.js"
import { SalesforceEvents } from "./SalesforceEvents.js"

/**
 * @since 0.1.0
 * @category services
 */
export class AuthHttp extends Context.Tag("@effect-salesforce/auth/AuthHttp")<AuthHttp, AuthHttp.Service>() {}

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
     * the auth method's job (see {@link transientStatus}). `method` names the auth method in errors.
     */
    readonly send: (
      request: HttpClientRequest.HttpClientRequest,
      options: { readonly method: string }
    ) => Effect.Effect<Response, TransportError>
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Response {
    readonly status: number
    readonly headers: Headers.Headers
    readonly body: string
    /** `POST https://host/path`, for error messages. */
    readonly description: string
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** Bound on one HTTP request, body included. Default 30 seconds. */
    readonly requestTimeout?: Duration.DurationInput | undefined
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: AuthHttp.Options = {}
): Effect.Effect<AuthHttp.Service, never, HttpClient.HttpClient | SalesforceEvents> =>
  Effect.gen(function*() {
    // no trace headers (traceparent, b3) to Salesforce; our `AuthHttp.send` span replaces the platform's
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.withTracerPropagation(false),
      HttpClient.withTracerDisabledWhen(() => true)
    )
    const events = yield* SalesforceEvents
    const timeout = Duration.decode(options.requestTimeout ?? Duration.seconds(30))
    const send: AuthHttp.Service["send"] = (request, { method }) =>
      Effect.gen(function*() {
        const url = describeUrl(request.url)
        const description = `${request.method} ${url}`
        const fail = (reason: "Connection" | "Timeout", detail: string) =>
          new TransportError({ method, reason, request: description, detail })
        yield* events.publish(SalesforceEvent.Request({ source: "auth", method: request.method, url }))
        const started = yield* Clock.currentTimeMillis
        const response = yield* client.execute(request).pipe(
          Effect.flatMap((response) =>
            Effect.map(response.text, (body): AuthHttp.Response => ({
              status: response.status,
              headers: response.headers,
              body,
              description
            }))
          ),
          Effect.scoped,
          Effect.catchTag("RequestError", (e) => Effect.fail(fail("Connection", connectionDetail(e.reason, e.cause)))),
          Effect.catchTag("ResponseError", (e) => Effect.fail(fail("Connection", `the response could not be read (${e.reason})`))),
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () => fail("Timeout", `no complete response within ${Duration.format(timeout)}`)
          }),
          withoutRedirects
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
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: AuthHttp.Options = {}): Layer.Layer<AuthHttp, never, HttpClient.HttpClient | SalesforceEvents> =>
  Layer.effect(AuthHttp, make(options))

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
  const retryAfter = parseRetryAfter(response.headers["retry-after"])
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

/**
 * `Retry-After` as milliseconds (seconds or an HTTP date), or `undefined`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRetryAfter = (value: string | undefined, now: number = Date.now()): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Origin and path only: a query string could carry a secret. */
const describeUrl = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return "<invalid URL>"
  }
}

const connectionDetail = (reason: string, cause: unknown): string => {
  if (reason === "InvalidUrl") return "invalid URL"
  if (reason === "Encode") return "the request body could not be encoded"
  const code = typeof cause === "object" && cause !== null
    ? (cause as { code?: unknown; cause?: { code?: unknown } }).code ?? (cause as { cause?: { code?: unknown } }).cause?.code
    : undefined
  return typeof code === "string" ? `connection failed (${code})` : "connection failed"
}

/**
 * Run an HTTP effect with redirects off for `FetchHttpClient` (fetch follows them by default;
 * other transports do not follow them at all). A redirect must not carry a credential or a
 * token anywhere, nor turn a POST into a GET.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withoutRedirects = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.serviceOption(FetchHttpClient.RequestInit), (init) =>
    Effect.provideService(effect, FetchHttpClient.RequestInit, {
      ...Option.getOrElse(init, () => ({})),
      redirect: "manual"
    }))
