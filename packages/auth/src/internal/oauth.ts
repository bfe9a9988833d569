/**
 * The OAuth token endpoint (`/services/oauth2/token`) and introspection, shared by the
 * client-credentials, JWT-bearer and refresh-token methods: form POSTs through `AuthHttp`,
 * responses decoded with `Schema`, Salesforce's error JSON mapped to `AuthenticationError`.
 *
 * No message built here contains a body, a parameter value or a token: only field names,
 * HTTP statuses and Salesforce's own `error` / `error_description`.
 * @internal
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { type AuthError, AuthenticationError, MalformedResponseError, TransportError } from "../AuthError.js"
import * as AuthHttp from "../AuthHttp.js"
import type { TokenProvider } from "../TokenProvider.js"
import { EpochSeconds, epochMillis, maxLifetimeSeconds, maxServerMessage } from "./serverNumbers.js"
import { truncate } from "./url.js"
import * as hints from "./hints.js"

/** A successful token response (unknown fields are ignored). @internal */
export const TokenResponse = Schema.Struct({
  access_token: Schema.Redacted(Schema.NonEmptyString),
  instance_url: Schema.NonEmptyString,
  refresh_token: Schema.optional(Schema.Redacted(Schema.NonEmptyString)),
  issued_at: Schema.optional(Schema.Union(Schema.String, Schema.Number)),
  id: Schema.optional(Schema.String),
  token_type: Schema.optional(Schema.String),
  scope: Schema.optional(Schema.String)
})

/** @internal */
export type TokenResponse = typeof TokenResponse.Type

/** Salesforce's error body: `{"error":"invalid_grant","error_description":"..."}`. @internal */
export const ErrorResponse = Schema.Struct({
  error: Schema.NonEmptyString,
  error_description: Schema.optional(Schema.String)
})

/** An introspection answer; only what the methods use. @internal */
export const IntrospectionResponse = Schema.Struct({
  active: Schema.Boolean,
  exp: Schema.optional(EpochSeconds),
  iat: Schema.optional(EpochSeconds)
})

/** @internal */
export type IntrospectionResponse = typeof IntrospectionResponse.Type

const parseJson = Schema.decodeUnknownEither(Schema.parseJson())

/** What is wrong with a body that should have been JSON, without quoting it. @internal */
export const describeNonJson = (body: string): string => {
  const text = body.trim()
  if (text === "") return "the body is empty"
  if (/^<(!doctype\s+html|html)/i.test(text)) return "an HTML page instead of JSON"
  if (text.startsWith("<")) return "XML or markup instead of JSON"
  if (text.startsWith("{") || text.startsWith("[")) return "the JSON body is truncated or invalid"
  return "the body is not JSON"
}

/** `access_token is missing`, `instance_url has the wrong type`... never the values. @internal */
export const describeIssues = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const parts = issues.map((issue) => {
    const path = issue.path.length === 0 ? "the body" : issue.path.map(String).join(".")
    switch (issue._tag) {
      case "Missing":
        return `${path} is missing`
      case "Unexpected":
        return `${path} is unexpected`
      default:
        return `${path} has the wrong type or is empty`
    }
  })
  return [...new Set(parts)].join("; ")
}

const decodeTokenResponse = Schema.decodeUnknownEither(TokenResponse, { errors: "all", onExcessProperty: "ignore" })
const decodeIntrospection = Schema.decodeUnknownEither(IntrospectionResponse, { errors: "all", onExcessProperty: "ignore" })
const decodeErrorResponse = Schema.decodeUnknownEither(ErrorResponse, { onExcessProperty: "ignore" })

/**
 * Decode a JSON body with a decoder built once: `MalformedResponseError` saying what was wrong.
 * @internal
 */
export const decodeJson = <A>(
  decode: (u: unknown) => Either.Either<A, ParseResult.ParseError>,
  response: AuthHttp.AuthHttp.Response,
  method: string,
  what: string
): Effect.Effect<A, MalformedResponseError> => {
  const malformed = (detail: string) =>
    new MalformedResponseError({ method, request: response.description, status: response.status, detail })
  const json = parseJson(response.body)
  if (Either.isLeft(json)) return Effect.fail(malformed(`${what}: ${describeNonJson(response.body)}`))
  if (typeof json.right !== "object" || json.right === null || Array.isArray(json.right)) {
    return Effect.fail(malformed(`${what}: expected a JSON object`))
  }
  const decoded = decode(json.right)
  return Either.isLeft(decoded)
    ? Effect.fail(malformed(`${what}: ${describeIssues(decoded.left)}`))
    : Effect.succeed(decoded.right)
}

/**
 * Salesforce serialises token requests for one refresh token and answers a concurrent one with
 * `400 invalid_grant` / `token request is already being processed`: the lock clears in moments,
 * so it is transient, not a "no".
 * @internal
 */
export const isConcurrentRequest = (description: string | undefined): boolean =>
  description !== undefined && /token request is already being processed/i.test(description)

/**
 * The error for a non-200 answer of an OAuth endpoint: transient (5xx, 429, 408, the
 * concurrent-request lock) as `TransportError`, Salesforce's error JSON as
 * `AuthenticationError`, anything else as `MalformedResponseError`.
 * @internal
 */
export const failure = (response: AuthHttp.AuthHttp.Response, method: string): Effect.Effect<never, AuthError> =>
  Effect.gen(function*() {
    const parsed = Either.flatMap(
      parseJson(response.body),
      (json) => decodeErrorResponse(json)
    )
    const error = Either.getRight(parsed)
    if (Option.isSome(error) && isConcurrentRequest(error.value.error_description)) {
      return yield* new TransportError({
        method,
        reason: "Status",
        request: response.description,
        status: response.status,
        detail: "token request is already being processed (a concurrent request holds the lock)"
      })
    }
    const transient = AuthHttp.transientStatus(response, method)
    if (Option.isSome(transient)) return yield* transient.value
    if (Option.isSome(error)) {
      const hint = hints.oauth(method, error.value.error, error.value.error_description)
      // a 2xx body is not scrubbed by the exchange: whatever of it is quoted goes through `scrub`
      return yield* new AuthenticationError({
        method,
        // what an error keeps of a server's text is scrubbed and bounded
        code: truncate(response.scrub(error.value.error), 128),
        description: truncate(response.scrub(error.value.error_description ?? ""), maxServerMessage),
        status: response.status,
        ...(hint === undefined ? {} : { hint })
      })
    }
    return yield* new MalformedResponseError({
      method,
      request: response.description,
      status: response.status,
      detail: `expected Salesforce's error JSON ({"error": ..., "error_description": ...}): ${
        describeNonJson(response.body)
      }`
    })
  })

/** The token endpoint of a login or My Domain host. @internal */
export const tokenUrl = (baseUrl: URL): string => new URL("/services/oauth2/token", baseUrl).toString()

/**
 * POST a grant to the token endpoint and decode the answer.
 * Parameter values are unwrapped here, at the wire, and nowhere else.
 * @internal
 */
export const requestToken = (
  http: AuthHttp.AuthHttp.Service,
  options: {
    readonly method: string
    readonly baseUrl: URL
    readonly params: Readonly<Record<string, string | Redacted.Redacted<string> | undefined>>
  }
): Effect.Effect<TokenResponse, AuthError> =>
  Effect.gen(function*() {
    const request = HttpClientRequest.post(tokenUrl(options.baseUrl)).pipe(
      HttpClientRequest.bodyUrlParams(unwrap(options.params)),
      HttpClientRequest.acceptJson
    )
    const response = yield* http.send(request, { method: options.method, secrets: secretsOf(options.params) })
    if (response.status !== 200) return yield* failure(response, options.method)
    return yield* decodeJson(decodeTokenResponse, response, options.method, "token response")
  })

/**
 * Ask `/services/oauth2/introspect` how long an access token lives, in milliseconds from its
 * issue (`exp - iat`, so the server's clock never meets ours). `None` when the answer does not
 * say (inactive token, no `exp`).
 * @internal
 */
export const introspectLifetime = (
  http: AuthHttp.AuthHttp.Service,
  options: {
    readonly method: string
    readonly baseUrl: URL
    readonly token: Redacted.Redacted<string>
    readonly issuedAtMillis: number | undefined
    readonly clientId: string
    readonly clientSecret: Redacted.Redacted<string> | undefined
  }
): Effect.Effect<Option.Option<number>, AuthError> =>
  Effect.gen(function*() {
    const params = {
      token: options.token,
      token_type_hint: "access_token",
      client_id: options.clientId,
      client_secret: options.clientSecret
    }
    const request = HttpClientRequest.post(new URL("/services/oauth2/introspect", options.baseUrl).toString()).pipe(
      HttpClientRequest.bodyUrlParams(unwrap(params)),
      HttpClientRequest.acceptJson
    )
    const response = yield* http.send(request, { method: options.method, secrets: secretsOf(params) })
    if (response.status !== 200) return yield* failure(response, options.method)
    const answer = yield* decodeJson(decodeIntrospection, response, options.method, "introspection response")
    if (!answer.active || answer.exp === undefined) return Option.none()
    const issued = answer.iat !== undefined ? answer.iat * 1000 : options.issuedAtMillis
    if (issued === undefined) return Option.none()
    return Option.some(Math.min(Math.max(0, answer.exp * 1000 - issued), maxLifetimeSeconds * 1000))
  })

/**
 * How long a token from the token endpoint lives, per a method's options: the configured
 * `tokenLifetime` when given; else, when `introspect` is on (and there is a client secret to
 * introspect with), the lifetime introspection reports; else unknown (kept until rejected).
 * A failed introspection only leaves the expiry unknown: the token itself is good.
 * @internal
 */
export const lifetime = (
  http: AuthHttp.AuthHttp.Service,
  options: {
    readonly method: string
    readonly baseUrl: URL
    readonly tokenLifetime: Duration.Duration | undefined
    readonly introspect: boolean | undefined
    readonly clientId: string
    readonly clientSecret: Redacted.Redacted<string> | undefined
  }
) =>
(response: TokenResponse): Effect.Effect<Duration.DurationInput | undefined> => {
  if (options.tokenLifetime !== undefined) return Effect.succeed(options.tokenLifetime)
  if (options.introspect !== true || options.clientSecret === undefined) return Effect.succeed(undefined)
  return introspectLifetime(http, {
    method: options.method,
    baseUrl: options.baseUrl,
    token: response.access_token,
    issuedAtMillis: issuedAtMillis(response),
    clientId: options.clientId,
    clientSecret: options.clientSecret
  }).pipe(
    Effect.map(Option.getOrUndefined),
    Effect.catchAll((error) =>
      Effect.as(Effect.logWarning(`${options.method}: introspection failed, expiry unknown: ${error.message}`), undefined)
    )
  )
}

/** The grant a token response gives, with its lifetime if known. @internal */
export const grant = (response: TokenResponse, expiresIn: Duration.DurationInput | undefined): TokenProvider.Grant => ({
  accessToken: response.access_token,
  instanceUrl: response.instance_url,
  expiresIn
})

/** `issued_at` (epoch milliseconds, plain digits) as a number, if usable. @internal */
export const issuedAtMillis = (response: TokenResponse): number | undefined => epochMillis(response.issued_at)

/** The secret parameters of a request: those given as `Redacted`, scrubbed from any answer. */
const secretsOf = (
  params: Readonly<Record<string, string | Redacted.Redacted<string> | undefined>>
): Array<Redacted.Redacted<string>> => Object.values(params).filter((v): v is Redacted.Redacted<string> => Redacted.isRedacted(v))

const unwrap = (
  params: Readonly<Record<string, string | Redacted.Redacted<string> | undefined>>
): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue
    out[key] = typeof value === "string" ? value : Redacted.value(value)
  }
  return out
}
