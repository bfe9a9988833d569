/**
 * The web-server flow's mechanics: PKCE verifier and challenge, `state`, the authorize URL, and
 * the code exchange through the shared OAuth token path (`oauth.requestToken`: `AuthHttp`,
 * decoding, error mapping) under the `RetryPolicy`, with Salesforce's answers about a code
 * turned into `AuthorizationCodeError`s that say what to do.
 * @internal
 */
import * as Crypto from "node:crypto"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as AccessToken from "../AccessToken.js"
import { type AuthError, MalformedResponseError } from "../AuthError.js"
import * as AuthHttp from "../AuthHttp.js"
import * as RetryPolicy from "../RetryPolicy.js"
import { SalesforceEvent } from "../SalesforceEvent.js"
import { SalesforceEvents } from "../SalesforceEvents.js"
import * as oauth from "./oauth.js"
import { checkInstanceUrl } from "./url.js"

/** The provider name in events and errors. @internal */
export const name = "AuthorizationCode"

/** A PKCE code verifier: 32 random bytes, base64url (43 characters). @internal */
export const makeVerifier = (): Redacted.Redacted<string> => Redacted.make(Crypto.randomBytes(32).toString("base64url"))

/** `BASE64URL(SHA256(verifier))`, the S256 code challenge. @internal */
export const challengeOf = (verifier: Redacted.Redacted<string>): string =>
  Crypto.createHash("sha256").update(Redacted.value(verifier)).digest("base64url")

/** An unguessable `state`: 16 random bytes, base64url. @internal */
export const makeState = (): string => Crypto.randomBytes(16).toString("base64url")

/** Compare two states in constant time. @internal */
export const sameState = (expected: string, actual: string | undefined): boolean => {
  if (actual === undefined) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(actual)
  return a.length === b.length && Crypto.timingSafeEqual(a, b)
}

/** The authorize URL on a login or My Domain host. @internal */
export const authorizeUrl = (baseUrl: URL, params: Readonly<Record<string, string | undefined>>): string => {
  const url = new URL("/services/oauth2/authorize", baseUrl)
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value)
  return url.toString()
}

/** The successful exchange, before the refresh-token check. @internal */
export interface Exchanged {
  readonly accessToken: AccessToken.AccessToken
  readonly refreshToken: Redacted.Redacted<string> | undefined
  readonly identityUrl: string | undefined
  readonly scopes: ReadonlyArray<string>
}

/**
 * POST `grant_type=authorization_code` to the token endpoint, retried per the `RetryPolicy`
 * on transient faults (with `Retry` events), and check the instance URL.
 * @internal
 */
export const exchange = (options: {
  readonly baseUrl: URL
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string> | undefined
  readonly redirectUri: string
  readonly code: Redacted.Redacted<string>
  readonly codeVerifier: Redacted.Redacted<string>
  readonly requestTimeout: Duration.DurationInput | undefined
}): Effect.Effect<Exchanged, AuthError, SalesforceEvents | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const http = yield* AuthHttp.make({ requestTimeout: options.requestTimeout })
    const events = yield* SalesforceEvents
    const policy = yield* RetryPolicy.RetryPolicy
    const response = yield* RetryPolicy.retry(
      oauth.requestToken(http, {
        method: name,
        baseUrl: options.baseUrl,
        params: {
          grant_type: "authorization_code",
          code: options.code,
          client_id: options.clientId,
          client_secret: options.clientSecret,
          redirect_uri: options.redirectUri,
          code_verifier: options.codeVerifier
        }
      }),
      policy,
      ({ attempt, delay, error }) =>
        events.publish(SalesforceEvent.Retry({
          source: "auth",
          operation: `${name} code exchange`,
          attempt,
          delayMillis: Duration.toMillis(delay),
          reason: error.message
        }))
    )
    const instanceUrl = yield* checkInstanceUrl(response.instance_url).pipe(
      Effect.mapError((detail) =>
        new MalformedResponseError({ method: name, request: "code exchange", detail: `instance URL: ${detail}` })
      )
    )
    // our clock, not the server's `issued_at`: expiry arithmetic stays on one clock
    const issued = yield* Clock.currentTimeMillis
    return {
      accessToken: AccessToken.make({
        value: response.access_token,
        instanceUrl,
        issuedAt: DateTime.unsafeMake(issued)
      }),
      refreshToken: response.refresh_token,
      identityUrl: response.id,
      scopes: (response.scope ?? "").split(" ").filter((s) => s !== "")
    }
  })
