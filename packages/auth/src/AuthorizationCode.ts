/**
 * The OAuth 2.0 web-server (authorization-code) flow with PKCE: how a person approves an app
 * once, and the app gets a refresh token to keep. Use it to obtain the first refresh token for
 * a CLI, a desktop tool or a multi-tenant service; then run on `RefreshToken.layer`.
 *
 * - {@link authorize} builds the authorize URL (`/services/oauth2/authorize` on the login host
 *   or My Domain of `SalesforceConfig`) with a fresh `state` and PKCE verifier (S256).
 * - {@link receiver} listens on `127.0.0.1` (port 1717 by default, as the Salesforce CLI) for
 *   the browser's redirect, serves that one callback and hands over the code.
 * - {@link exchange} checks `state` and trades the code (with the verifier, and the client
 *   secret for a confidential app) for an access token, a refresh token, the instance URL and
 *   the identity URL, through `AuthHttp` and the `RetryPolicy` like every other method.
 * - {@link login} does all three; `npx effect-salesforce login` is that, as a command.
 *
 * The app needs the callback URL (`http://127.0.0.1:1717/OauthRedirect` by default) and the
 * `refresh_token` (or `offline_access`) scope; a public client (no secret) needs PKCE, which is
 * always sent.
 *
 * @example
 * ```ts
 * import { AuthorizationCode, RefreshToken } from "@effect-salesforce/auth"
 * import { Console, Effect } from "effect"
 *
 * const first = AuthorizationCode.login({
 *   clientId: "3MVG9...",
 *   onUrl: (url) => Console.log(`Open ${url}`)
 * })
 * // later: RefreshToken.layer({ clientId, refreshToken: result.refreshToken, accessToken: result.accessToken, onRotate })
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as AccessToken from "./AccessToken.js"
import { type AuthError, InvalidConfigError, TypeId } from "./AuthError.js"
import * as internal from "./internal/authorizationCode.js"
import * as loopback from "./internal/loopback.js"
import * as method from "./internal/method.js"
import { SalesforceConfig } from "./SalesforceConfig.js"
import type { SalesforceEvents } from "./SalesforceEvents.js"

/**
 * The provider name in events and errors.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = internal.name

/**
 * The receiver's default port: the Salesforce CLI's, so an app set up for `sf org login web`
 * needs only the path added.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPort = 1717

/**
 * The receiver's default callback path.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPath = "/OauthRedirect"

/**
 * The scopes asked for by default: the REST API, and a refresh token.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultScopes: ReadonlyArray<string> = ["api", "refresh_token"]

/**
 * The web-server flow did not complete. `reason` says which step, `description` what to do:
 *
 * - `AccessDenied`: the user clicked Deny (or may not use the app): `error=access_denied`.
 * - `AuthorizeFailed`: the authorize step answered another `error` (`invalid_scope`, ...).
 * - `StateMismatch`: the callback's `state` is not the one sent (a stale tab, or a forged request).
 * - `CodeRejected`: `invalid_grant` at the exchange: the code was used already, expired (codes
 *   live 15 minutes), or the PKCE verifier does not match.
 * - `RedirectUriMismatch`: the redirect URI is not one of the app's callback URLs.
 * - `NoRefreshToken`: the token response has no refresh token: the app lacks the
 *   `refresh_token` scope, or it was not requested.
 * - `Timeout`: no callback in time. `ListenFailed`: the receiver's port is taken.
 *
 * Never carries the code, the verifier or a token.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthorizationCodeError extends Schema.TaggedError<AuthorizationCodeError>(
  "@effect-salesforce/auth/AuthorizationCodeError"
)("AuthorizationCodeError", {
  reason: Schema.Literal(
    "AccessDenied",
    "AuthorizeFailed",
    "StateMismatch",
    "CodeRejected",
    "RedirectUriMismatch",
    "NoRefreshToken",
    "Timeout",
    "ListenFailed"
  ),
  /** Salesforce's error code, when it gave one (`access_denied`, `invalid_grant`, ...). */
  code: Schema.optional(Schema.String),
  /** What happened and what to do. */
  description: Schema.String
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** Each of these needs a person (or a new authorization), never a blind retry. */
  get isRetryable(): boolean {
    return false
  }
  override get message(): string {
    return `${name}: ${this.code === undefined ? "" : `[${this.code}] `}${this.description}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthorizeOptions {
  /** The connected app's (or External Client App's) consumer key. */
  readonly clientId: string
  /** One of the app's callback URLs, exactly: usually {@link Receiver.redirectUri}. */
  readonly redirectUri: string
  /** Default {@link defaultScopes}. Without `refresh_token` (or `offline_access`) there is no refresh token. */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** `login`, `consent`, `select_account` (space-separated to combine). */
  readonly prompt?: string | undefined
  /** Pre-fills the username on the login page. */
  readonly loginHint?: string | undefined
}

/**
 * One authorization in progress: the URL to open, and what the exchange needs to remember.
 *
 * @since 0.1.0
 * @category models
 */
export interface Authorization {
  /** Open this in a browser. */
  readonly url: string
  readonly clientId: string
  readonly redirectUri: string
  /** The `state` sent; the callback must bring it back. */
  readonly state: string
  /** The PKCE verifier; its S256 challenge is in the URL. */
  readonly codeVerifier: Redacted.Redacted<string>
}

/**
 * What the browser's redirect brought: the code and the `state`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Callback {
  readonly code: Redacted.Redacted<string>
  readonly state: string | undefined
}

/**
 * A completed authorization. Feed it to `RefreshToken.layer`:
 * `{ clientId, refreshToken: result.refreshToken, accessToken: result.accessToken, onRotate }`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  /** Usable now; `RefreshToken` uses it before its first refresh. */
  readonly accessToken: AccessToken.AccessToken
  /** Keep it secret, keep it safe: it logs in as the user until revoked. */
  readonly refreshToken: Redacted.Redacted<string>
  /** `https://acme.my.salesforce.com`. */
  readonly instanceUrl: string
  /** `https://login.salesforce.com/id/<orgId>/<userId>`, when sent. */
  readonly identityUrl: string | undefined
  /** The scopes granted. */
  readonly scopes: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ExchangeOptions {
  /** The consumer secret, for a confidential app ("Require Secret for Web Server Flow"). */
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  /** Bound on one HTTP request to Salesforce. Default 30 seconds. */
  readonly requestTimeout?: Duration.DurationInput | undefined
}

/**
 * Start an authorization: a fresh `state` and PKCE verifier, and the authorize URL on
 * `SalesforceConfig.baseUrl` (the login host, `test.salesforce.com` for a sandbox, or My Domain).
 *
 * @since 0.1.0
 * @category constructors
 */
export const authorize = (options: AuthorizeOptions): Effect.Effect<Authorization, InvalidConfigError, SalesforceConfig> =>
  Effect.gen(function*() {
    const config = yield* SalesforceConfig
    const clientId = yield* method.requireText("clientId", options.clientId)
    const redirectUri = yield* checkRedirectUri(options.redirectUri)
    const scopes = options.scopes ?? defaultScopes
    const state = internal.makeState()
    const codeVerifier = internal.makeVerifier()
    const url = internal.authorizeUrl(config.baseUrl, {
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: scopes.length === 0 ? undefined : scopes.join(" "),
      state,
      code_challenge: internal.challengeOf(codeVerifier),
      code_challenge_method: "S256",
      prompt: options.prompt,
      login_hint: options.loginHint
    })
    return { url, clientId, redirectUri, state, codeVerifier }
  })

const checkRedirectUri = (input: string): Effect.Effect<string, InvalidConfigError> => {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return Effect.fail(new InvalidConfigError({ field: "redirectUri", detail: "is not an absolute URL" }))
  }
  return url.hash !== ""
    ? Effect.fail(new InvalidConfigError({ field: "redirectUri", detail: "must not have a fragment (#...)" }))
    : Effect.succeed(input)
}

const codeError = (code: string, description: string): AuthorizationCodeError | undefined => {
  if (code === "redirect_uri_mismatch") {
    return new AuthorizationCodeError({
      reason: "RedirectUriMismatch",
      code,
      description: `${description}: add the redirect URI to the app's callback URLs exactly (scheme, host, port and path), or pass the one it has`
    })
  }
  if (code !== "invalid_grant") return undefined
  return new AuthorizationCodeError({
    reason: "CodeRejected",
    code,
    description: /verifier/i.test(description)
      ? `${description}: the PKCE code verifier does not match the challenge of this authorization; start a new one`
      : `${description || "authorization code rejected"}: an authorization code works once and for 15 minutes; start a new authorization`
  })
}

/**
 * Check the callback's `state`, then trade its code for tokens. Fails with
 * `AuthorizationCodeError` (`StateMismatch`, `CodeRejected`, `RedirectUriMismatch`,
 * `NoRefreshToken`) or, for anything else the token endpoint says, the usual `AuthError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const exchange = (
  authorization: Authorization,
  callback: Callback,
  options: ExchangeOptions = {}
): Effect.Effect<Result, AuthorizationCodeError | AuthError, SalesforceConfig | SalesforceEvents | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    if (!internal.sameState(authorization.state, callback.state)) {
      return yield* new AuthorizationCodeError({
        reason: "StateMismatch",
        description:
          "the callback's state does not match the one sent (a stale browser tab, another login in progress, or a forged request); the code was not used: start again"
      })
    }
    const config = yield* SalesforceConfig
    const exchanged = yield* internal.exchange({
      baseUrl: config.baseUrl,
      clientId: authorization.clientId,
      clientSecret: options.clientSecret,
      redirectUri: authorization.redirectUri,
      code: callback.code,
      codeVerifier: authorization.codeVerifier,
      requestTimeout: options.requestTimeout
    }).pipe(
      Effect.catchTag("AuthenticationError", (error) => Effect.fail(codeError(error.code, error.description) ?? error))
    )
    if (exchanged.refreshToken === undefined) {
      return yield* new AuthorizationCodeError({
        reason: "NoRefreshToken",
        description: `Salesforce granted "${
          exchanged.scopes.join(" ")
        }" but no refresh token: the app lacks the refresh_token scope ("Perform requests at any time (refresh_token, offline_access)"), or it was not requested; add it to the app's OAuth scopes and ask for "refresh_token"`
      })
    }
    return {
      accessToken: exchanged.accessToken,
      refreshToken: exchanged.refreshToken,
      instanceUrl: exchanged.accessToken.instanceUrl,
      identityUrl: exchanged.identityUrl,
      scopes: exchanged.scopes
    }
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface ReceiverOptions {
  /** Port on 127.0.0.1. Default {@link defaultPort}; `0` picks a free one. */
  readonly port?: number | undefined
  /** Default {@link defaultPath}. */
  readonly path?: string | undefined
  /** How long to wait for the browser. Default 5 minutes. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * A loopback redirect receiver.
 *
 * @since 0.1.0
 * @category models
 */
export interface Receiver {
  /** `http://127.0.0.1:<port><path>`: register it as a callback URL of the app. */
  readonly redirectUri: string
  /**
   * The callback: the code, or `AccessDenied` / `AuthorizeFailed` when the redirect carries
   * an `error`, or `Timeout`.
   */
  readonly callback: Effect.Effect<Callback, AuthorizationCodeError>
}

/**
 * Listen on `127.0.0.1` for one OAuth redirect, in the scope (closing the scope, or
 * interrupting, stops the listener). The browser gets a short page; nothing but a GET on the
 * callback path is served and no request body is read.
 *
 * @since 0.1.0
 * @category constructors
 */
export const receiver = (options: ReceiverOptions = {}): Effect.Effect<Receiver, AuthorizationCodeError, Scope.Scope> =>
  Effect.gen(function*() {
    const path = options.path ?? defaultPath
    const timeout = Duration.decode(options.timeout ?? Duration.minutes(5))
    const started = yield* loopback.make({ port: options.port ?? defaultPort, path, timeout }).pipe(
      Effect.mapError(receiverError)
    )
    const redirectUri = `http://127.0.0.1:${started.port}${path}`
    const callback = started.outcome.pipe(
      Effect.mapError(receiverError),
      Effect.flatMap((outcome): Effect.Effect<Callback, AuthorizationCodeError> =>
        outcome._tag === "Code"
          ? Effect.succeed({ code: outcome.code, state: outcome.state })
          : Effect.fail(
            new AuthorizationCodeError({
              reason: outcome.error === "access_denied" ? "AccessDenied" : "AuthorizeFailed",
              code: outcome.error,
              description: outcome.error === "access_denied"
                ? `${outcome.description || "access denied"}: the user did not allow the app (or may not use it: check the app's permitted users and profiles)`
                : outcome.description || "the authorize step failed"
            })
          )
      )
    )
    return { redirectUri, callback }
  })

const receiverError = (failure: loopback.Failure): AuthorizationCodeError =>
  failure._tag === "Timeout"
    ? new AuthorizationCodeError({
      reason: "Timeout",
      description: `no redirect within ${
        Duration.format(failure.timeout)
      }; if the browser shows redirect_uri_mismatch, add the redirect URI to the app's callback URLs`
    })
    : new AuthorizationCodeError({
      reason: "ListenFailed",
      description: failure.code === "EADDRINUSE"
        ? `port ${failure.port} on 127.0.0.1 is in use (another login, or the Salesforce CLI?): free it or choose another port (and register that callback URL)`
        : `cannot listen on 127.0.0.1:${failure.port} (${failure.code ?? "unknown error"})`
    })

/**
 * @since 0.1.0
 * @category models
 */
export interface LoginOptions extends Omit<AuthorizeOptions, "redirectUri">, ReceiverOptions, ExchangeOptions {
  /** Show the authorize URL to the user (print it, open a browser). */
  readonly onUrl: (url: string) => Effect.Effect<void>
}

/**
 * The whole flow for a CLI or desktop tool: start a {@link receiver}, {@link authorize}, hand
 * the URL to `onUrl`, wait for the callback and {@link exchange} the code.
 *
 * @since 0.1.0
 * @category constructors
 */
export const login = (
  options: LoginOptions
): Effect.Effect<
  Result,
  AuthorizationCodeError | AuthError | InvalidConfigError,
  SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
> =>
  Effect.scoped(
    Effect.gen(function*() {
      const listening = yield* receiver(options)
      const authorization = yield* authorize({ ...options, redirectUri: listening.redirectUri })
      yield* options.onUrl(authorization.url)
      const callback = yield* listening.callback
      return yield* exchange(authorization, callback, options)
    })
  )
