/**
 * One HTTP exchange with an untrusted server, as both packages make it: token calls (`AuthHttp`)
 * and REST calls (the client's pipeline) send through {@link send}, and nothing else reads a
 * response body.
 *
 * - **Bounded body.** The body is read as a stream and counted as it arrives, after any
 *   decompression the transport does (`FetchHttpClient` inflates gzip; undici hands over the
 *   bytes as sent). Past `maxBytes` the read stops and the connection is closed: memory never
 *   grows beyond the limit plus one chunk.
 * - **Echoed secrets scrubbed.** Every secret the request carried (the `Authorization` header's
 *   bearer token or Basic credentials, plus the `secrets` the caller declares) is removed from the
 *   body and headers of any non-2xx answer, in every form a server can echo it in: raw,
 *   form-encoded, XML-escaped, JSON-escaped, base64. {@link Exchange.scrub} does the same to any
 *   other text a decoder quotes.
 * - **One mapping of `HttpClientError`.** Transport failures become one {@link ExchangeError},
 *   which each package turns into its own tagged error (`TransportError` for token calls,
 *   `ConnectionError` / `InvalidRequestError` / `ResponseTooLargeError` for REST calls).
 * - No redirects followed, a timeout on the whole attempt (body included), `Retry-After` read
 *   with the Effect `Clock`.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientErrorModule from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { describeUrl } from "./internal/url.js"

/**
 * A response read whole (within the limit).
 *
 * @since 0.1.0
 * @category models
 */
export interface Exchange {
  readonly status: number
  /** The response headers; scrubbed of the request's secrets unless the status is 2xx. */
  readonly headers: Headers.Headers
  /** The body as text; scrubbed of the request's secrets unless the status is 2xx. */
  readonly body: string
  /** What was called, such as `POST https://host/path` (never a query string or body). */
  readonly description: string
  /** The server's `Retry-After`, in milliseconds from when the answer arrived. */
  readonly retryAfterMillis: number | undefined
  /** Remove the request's secrets from any text taken from this answer before it is quoted. */
  readonly scrub: (text: string) => string
}

/**
 * Why an exchange produced no answer:
 * - `InvalidRequest`: the request never left the process (invalid URL, a body that could not be
 *   encoded); sending it again cannot help;
 * - `Connection`: refused, reset, dropped mid-body (`sent` says whether the server may have
 *   received the request);
 * - `Timeout`: no complete answer within the timeout;
 * - `TooLarge`: the body passed `maxBytes`; the read was stopped.
 *
 * Not an error users see: each package maps it to its own.
 *
 * @since 0.1.0
 * @category errors
 */
export class ExchangeError extends Data.TaggedError("ExchangeError")<{
  readonly reason: "InvalidRequest" | "Connection" | "Timeout" | "TooLarge"
  readonly request: string
  readonly detail: string
  /** May the server have received (and processed) the request? */
  readonly sent: boolean
  /** The status of an answer whose body was too large. */
  readonly status?: number | undefined
}> {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The most body bytes read (after decompression). */
  readonly maxBytes: number
  /** Bound on the attempt: connect, send and read the whole body. */
  readonly timeout: Duration.DurationInput
  /** Secrets the request carries besides its `Authorization` header (credentials in the body). */
  readonly secrets?: Iterable<string | Redacted.Redacted<string>> | undefined
  /** What the request is called in errors. Default: `METHOD origin/path`. */
  readonly description?: string | undefined
}

/**
 * Send a request and read its whole body within `options.maxBytes`. Any status is a success:
 * interpreting it is the caller's job.
 *
 * @since 0.1.0
 * @category constructors
 */
export const send = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  options: Options
): Effect.Effect<Exchange, ExchangeError> => {
  const description = options.description ?? `${request.method} ${describeUrl(request.url)}`
  const timeout = Duration.decode(options.timeout)
  // built on first use: a 2xx answer that nobody quotes never pays for it
  let built: ((text: string) => string) | undefined
  const scrub = (text: string): string =>
    (built ??= scrubber([...secretsOfRequest(request), ...(options.secrets ?? [])]))(text)
  return client.execute(request).pipe(
    Effect.flatMap((response) =>
      Effect.flatMap(readBody(response, { maxBytes: options.maxBytes, description }), (text) =>
        Effect.map(Clock.currentTimeMillis, (now): Exchange => {
          const ok = response.status >= 200 && response.status < 300
          const headers = ok ? response.headers : scrubHeaders(response.headers, scrub)
          return {
            status: response.status,
            headers,
            body: ok ? text : scrub(text),
            description,
            retryAfterMillis: parseRetryAfter(headers["retry-after"], now),
            scrub
          }
        }))
    ),
    Effect.scoped,
    Effect.catchTags({
      RequestError: (error) => Effect.fail(fromHttpClientError(error, description)),
      ResponseError: (error) => Effect.fail(fromHttpClientError(error, description))
    }),
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () =>
        new ExchangeError({
          reason: "Timeout",
          request: description,
          detail: `no complete response within ${Duration.format(timeout)}`,
          sent: true
        })
    }),
    withoutRedirects
  )
}

/**
 * Read a response body as text, at most `maxBytes` of it, as a stream: past the limit the read
 * stops (the caller's scope then closes the connection) and the result is an `ExchangeError`
 * with reason `TooLarge` naming the limit. A declared `Content-Length` above the limit fails
 * before anything is read.
 *
 * @since 0.1.0
 * @category reading
 */
export const readBody = (
  response: HttpClientResponse.HttpClientResponse,
  options: { readonly maxBytes: number; readonly description: string }
): Effect.Effect<string, ExchangeError | HttpClientError.ResponseError> =>
  Effect.suspend(() => {
    const { description, maxBytes } = options
    const tooLarge = () =>
      new ExchangeError({
        reason: "TooLarge",
        request: description,
        detail: `the response body is larger than the limit of ${formatBytes(maxBytes)} (maxResponseBytes)`,
        sent: true,
        status: response.status
      })
    const length = response.headers["content-length"]
    const declared = length === undefined || !/^\d{1,15}$/.test(length) ? undefined : Number(length)
    if (response.headers["content-encoding"] === undefined && declared !== undefined) {
      if (declared > maxBytes) return Effect.fail(tooLarge())
      // HTTP framing ends the body at the declared length (the transport refuses more): the
      // transport's own read is bounded, and much cheaper than a stream (about 0.2 ms a response)
      return Effect.catchIf(
        response.text,
        (error) => error.reason === "EmptyBody",
        () => Effect.succeed("")
      )
    }
    const decoder = new TextDecoder()
    const parts: Array<string> = []
    let size = 0
    const web = webBody(response)
    if (web !== undefined) return readWeb(web, maxBytes, tooLarge, response)
    // pulled chunk by chunk (cheaper than running the stream with a sink); leaving the scope
    // early stops the stream, and the caller's scope then aborts the request
    return Effect.scoped(Effect.flatMap(Stream.toPull(response.stream), (pull) => {
      const loop: Effect.Effect<string, ExchangeError | HttpClientError.ResponseError> = Effect.matchEffect(pull, {
        onFailure: Option.match({
          onNone: () => {
            parts.push(decoder.decode())
            return Effect.succeed(parts.join(""))
          },
          onSome: Effect.fail
        }),
        onSuccess: (chunk) => {
          for (const bytes of chunk) {
            size += bytes.byteLength
            if (size > maxBytes) return Effect.fail(tooLarge())
            parts.push(decoder.decode(bytes, { stream: true }))
          }
          return loop
        }
      })
      return loop
    })).pipe(
      // a response without a body (204, or a transport that gives none) reads as empty
      Effect.catchIf((error) => error._tag === "ResponseError" && error.reason === "EmptyBody", () => Effect.succeed(""))
    )
  })

/**
 * The web `ReadableStream` of a response made by `HttpClientResponse.fromWeb` (the fetch
 * transport), if that is what this is. Reading it with its own reader costs a fraction of
 * going through an Effect `Stream` (about 1 ms a response); any other response takes the
 * generic path.
 */
const webBody = (response: HttpClientResponse.HttpClientResponse): ReadableStream<Uint8Array> | undefined => {
  const source = (response as { readonly source?: unknown }).source
  return typeof Response !== "undefined" && source instanceof Response && source.body !== null && !source.bodyUsed
    ? source.body
    : undefined
}

const readWeb = (
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => ExchangeError,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<string, ExchangeError | HttpClientError.ResponseError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const reader = body.getReader()
      const cancel = () => void reader.cancel().catch(() => undefined)
      signal.addEventListener("abort", cancel, { once: true })
      const decoder = new TextDecoder()
      const parts: Array<string> = []
      let size = 0
      try {
        while (true) {
          const { done, value } = await reader.read()
          if (done) break
          size += value.byteLength
          if (size > maxBytes) {
            cancel()
            return undefined
          }
          parts.push(decoder.decode(value, { stream: true }))
        }
      } finally {
        signal.removeEventListener("abort", cancel)
      }
      parts.push(decoder.decode())
      return parts.join("")
    },
    catch: (cause) => new HttpClientErrorModule.ResponseError({ request: response.request, response, reason: "Decode", cause })
  }).pipe(Effect.flatMap((text) => (text === undefined ? Effect.fail(tooLarge()) : Effect.succeed(text))))

/**
 * The one mapping from `@effect/platform`'s `HttpClientError` to an {@link ExchangeError}: an
 * invalid URL or a body that could not be encoded never left the process (`InvalidRequest`,
 * never worth a retry); a transport failure is `Connection`, with `sent: false` only when the
 * connection was certainly never made; a body that could not be read is `Connection`, sent.
 *
 * @since 0.1.0
 * @category errors
 */
export const fromHttpClientError = (error: HttpClientError.HttpClientError, description: string): ExchangeError => {
  if (error._tag === "RequestError") {
    if (error.reason === "Transport") {
      const code = errorCode(error.cause)
      return new ExchangeError({
        reason: "Connection",
        request: description,
        detail: `connection failed${code === undefined ? "" : ` (${code})`}`,
        sent: code === undefined || !notSentCodes.has(code)
      })
    }
    return new ExchangeError({
      reason: "InvalidRequest",
      request: description,
      detail: error.reason === "Encode" ? "the request body could not be encoded" : "invalid URL",
      sent: false
    })
  }
  const code = errorCode(error.cause)
  return new ExchangeError({
    reason: "Connection",
    request: description,
    detail: `the response could not be read (${error.reason}${code === undefined ? "" : `, ${code}`})`,
    sent: true
  })
}

/**
 * Run an HTTP effect with redirects off for `FetchHttpClient` (fetch follows them by default;
 * undici's dispatcher never does). A redirect must not carry a credential or a token anywhere,
 * nor turn a POST into a GET.
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

/**
 * `Retry-After` (seconds, or an HTTP date relative to `now`) as milliseconds, or `undefined`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000
  if (trimmed.length > 64) return undefined
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * A function removing every given secret from a text, in each form a server can echo it in:
 * raw, form-encoded (`%XX` and `+`), XML-escaped, JSON-escaped and base64. Secrets shorter than
 * four characters are left alone (scrubbing them would shred ordinary text).
 *
 * @since 0.1.0
 * @category scrubbing
 */
export const scrubber = (secrets: Iterable<string | Redacted.Redacted<string>>): (text: string) => string => {
  const forms = new Set<string>()
  for (const secret of secrets) {
    const value = Redacted.isRedacted(secret) ? Redacted.value(secret) : secret
    if (value.length < 4) continue
    for (const form of formsOf(value)) if (form.length >= 4) forms.add(form)
  }
  if (forms.size === 0) return identity
  // longest first: a password+token concatenation goes before its parts
  const ordered = [...forms].sort((a, b) => b.length - a.length)
  return (text) => {
    let out = text
    for (const form of ordered) if (out.includes(form)) out = out.split(form).join("[redacted]")
    return out
  }
}

/** The secrets of a request's `Authorization` header: a bearer token, Basic credentials and their parts. */
const secretsOfRequest = (request: HttpClientRequest.HttpClientRequest): Array<string> => {
  const header = request.headers["authorization"]
  if (header === undefined) return []
  const space = header.indexOf(" ")
  const scheme = space < 0 ? "" : header.slice(0, space).toLowerCase()
  const value = space < 0 ? header : header.slice(space + 1).trim()
  if (scheme !== "basic") return [value]
  const decoded = decodeBase64(value)
  if (decoded === undefined) return [value]
  const colon = decoded.indexOf(":")
  return colon < 0 ? [value, decoded] : [value, decoded, decoded.slice(colon + 1)]
}

const identity = (text: string) => text

const xmlEscapes: ReadonlyArray<Readonly<Record<string, string>>> = [
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&apos;" },
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&#34;", "'": "&#39;" },
  { "&": "&amp;", "<": "&lt;", ">": "&gt;" }
]

const formsOf = (value: string): Array<string> => {
  const json = JSON.stringify(value).slice(1, -1)
  return [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ s: value }).toString().slice(2),
    ...xmlEscapes.map((table) => value.replace(/[&<>"']/g, (c) => table[c] ?? c)),
    json,
    json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`),
    json.replace(/\//g, "\\/"),
    encodeBase64(value)
  ]
}

const encodeBase64 = (value: string): string => {
  const bytes = new TextEncoder().encode(value)
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

const decodeBase64 = (value: string): string | undefined => {
  try {
    const binary = atob(value)
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
  } catch {
    return undefined
  }
}

const scrubHeaders = (headers: Headers.Headers, scrub: (text: string) => string): Headers.Headers => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) out[name] = scrub(value)
  return Headers.fromInput(out)
}

const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0
    ? `${bytes / 1024 / 1024} MiB (${bytes} bytes)`
    : bytes >= 1024 && bytes % 1024 === 0
    ? `${bytes / 1024} KiB (${bytes} bytes)`
    : `${bytes} bytes`

/** Failures that mean the connection was never made: the request certainly did not arrive. */
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
  if (typeof c.code === "string") return c.code.slice(0, 64)
  if (Array.isArray(c.errors)) {
    for (const e of c.errors.slice(0, 8)) {
      const code = errorCode(e, depth + 1)
      if (code !== undefined) return code
    }
  }
  return errorCode(c.cause, depth + 1)
}
