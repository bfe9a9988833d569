/**
 * The request pipeline behind `Salesforce.execute`: URL resolution against the token's
 * instance, headers, the concurrency limit, one send, 401 recovery, error mapping, retries
 * and events.
 * @internal
 */
import type * as AccessToken from "@effect-salesforce/auth/AccessToken"
import { withoutRedirects } from "@effect-salesforce/auth/AuthHttp"
import { isAuthError } from "@effect-salesforce/auth/AuthError"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import type { SalesforceEvents } from "@effect-salesforce/auth/SalesforceEvents"
import type { TokenProvider } from "@effect-salesforce/auth/TokenProvider"
import * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { Salesforce } from "../Salesforce.js"
import { ConnectionError, InvalidRequestError, ServerError } from "../SalesforceError.js"
import { headersProblem } from "./headers.js"
import { BufferedResponse } from "./response.js"
import { authenticationError, errorEntries, type Exchange, fromExchange, isRefreshable401, parseJson } from "./errors.js"

/** What the pipeline is built from. @internal */
export interface Deps {
  readonly client: HttpClient.HttpClient
  readonly tokens: TokenProvider.Service
  readonly events: SalesforceEvents.Service
  readonly apiVersion: string
  /** Runs an effect under the client's concurrency limit. */
  readonly withPermit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly clientName: string
  readonly policy: RetryPolicy.Policy
  readonly timeout: Duration.Duration
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

const notSentCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT"
])

/** The first `code` along an error's cause chain (undici nests them). */
const errorCode = (cause: unknown, depth = 0): string | undefined => {
  if (depth > 5 || typeof cause !== "object" || cause === null) return undefined
  const c = cause as { code?: unknown; cause?: unknown; errors?: unknown }
  if (typeof c.code === "string") return c.code
  if (Array.isArray(c.errors)) {
    for (const e of c.errors) {
      const code = errorCode(e, depth + 1)
      if (code !== undefined) return code
    }
  }
  return errorCode(c.cause, depth + 1)
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

/** @internal */
export const make = (deps: Deps): Execute => {
  const { client, events, tokens, withPermit } = deps

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

  const sendOnce = (prepared: Prepared, token: AccessToken.AccessToken, timeout: Duration.Duration) =>
    withPermit(Effect.gen(function*() {
      const { description, request } = prepared
      const url = `${prepared.url.origin}${prepared.url.pathname}`
      yield* events.publish(SalesforceEvent.Request({ source: "client", method: request.method, url }))
      const started = yield* Clock.currentTimeMillis
      const [response, text] = yield* client.execute(HttpClientRequest.bearerToken(request, token.value)).pipe(
        Effect.flatMap((response) => Effect.map(response.text, (text) => [response, text] as const)),
        Effect.catchTags({
          RequestError: (e) =>
            e.reason === "Transport"
              ? Effect.fail(
                new ConnectionError({
                  reason: "Connection",
                  request: description,
                  detail: `connection failed${connectionDetail(e.cause)}`,
                  sent: !notSentCodes.has(errorCode(e.cause) ?? "")
                })
              )
              : Effect.fail(
                new InvalidRequestError({
                  request: description,
                  detail: e.reason === "Encode" ? "the request body could not be encoded" : "invalid URL"
                })
              ),
          ResponseError: (e) =>
            Effect.fail(
              new ConnectionError({
                reason: "Connection",
                request: description,
                detail: `the response could not be read (${e.reason}${connectionDetail(e.cause)})`,
                sent: true
              })
            )
        }),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            new ConnectionError({
              reason: "Timeout",
              request: description,
              detail: `no complete response within ${Duration.format(timeout)}`,
              sent: true
            })
        }),
        withoutRedirects
      )
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
      return { exchange: { status: response.status, headers: response.headers, text, description }, headers: response.headers }
    }))

  const toResponse = (prepared: Prepared, exchange: Exchange, headers: Headers.Headers) =>
    new BufferedResponse(prepared.request, exchange.status, headers, exchange.text)

  return (request, options = {}) => {
    const policy = options.retryPolicy ?? deps.policy
    const timeout = options.timeout === undefined ? deps.timeout : Duration.decode(options.timeout)
    const idempotent = request.method !== "POST" && request.method !== "PATCH"
    const resendAny = idempotent || options.allowResend === true
    const effective: RetryPolicy.Policy = {
      ...policy,
      // the token provider retries its own transient faults; an ambiguous failure of a
      // non-idempotent request is not resent unless the caller opted in
      isTransient: (error) => !isAuthError(error) && policy.isTransient(error) && (resendAny || safeToResend(error))
    }
    const operation = describeRaw(request)
    return Effect.suspend(() => {
      let refreshed = false
      const attempt: Effect.Effect<HttpClientResponse.HttpClientResponse, Salesforce.Error> = Effect.gen(function*() {
        let token = yield* tokens.get
        while (true) {
          const prepared = yield* prepare(request, token, options)
          const { exchange, headers } = yield* sendOnce(prepared, token, timeout)
          if (isSuccess(exchange.status)) return toResponse(prepared, exchange, headers)
          if (exchange.status !== 401) return yield* Effect.fail(fromExchange(exchange))
          const entries = errorEntries(parseJson(exchange.text))
          if (!isRefreshable401(entries) || refreshed) {
            return yield* Effect.fail(authenticationError(exchange, entries, refreshed))
          }
          // once per logical request: replace exactly the token that was rejected
          refreshed = true
          token = yield* tokens.refresh(token)
        }
      })
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

const connectionDetail = (cause: unknown): string => {
  const code = errorCode(cause)
  return code === undefined ? "" : ` (${code})`
}
