/**
 * The OAuth 2.0 refresh-token flow: exchange a refresh token (obtained once, interactively,
 * through the web-server or device flow) for access tokens, for as long as it lives.
 *
 * Refresh-token rotation: Salesforce now enforces it for many apps. A used refresh token then
 * dies, and replaying it may revoke the whole token family. When a response carries a new
 * `refresh_token`, it replaces the old one in this provider at once, `onRotate` is called with
 * it and a `RefreshTokenRotated` event (value `Redacted`) is published, so the user can persist
 * it. Refreshes are single-flight (from `TokenProvider.make`), so this process never sends one
 * refresh token twice concurrently; Salesforce's "token request is already being processed"
 * answer (another process holding the lock) is retried as transient. A dead refresh token
 * (`invalid_grant` / `expired access/refresh token`) is an `AuthenticationError`, remembered for
 * the failure cool-down: never a retry loop.
 *
 * @example
 * ```ts
 * import { RefreshToken } from "@effect-salesforce/auth"
 * import { Effect, Redacted } from "effect"
 *
 * const Auth = RefreshToken.layer({
 *   clientId: "3MVG9...",
 *   refreshToken: Redacted.make(stored),
 *   onRotate: (token) => Effect.promise(() => vault.write("sf-refresh", Redacted.value(token)))
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { InvalidConfigError } from "./AuthError.js"
import * as AuthHttp from "./AuthHttp.js"
import * as method from "./internal/method.js"
import * as oauth from "./internal/oauth.js"
import { SalesforceConfig } from "./SalesforceConfig.js"
import { SalesforceEvent } from "./SalesforceEvent.js"
import { SalesforceEvents } from "./SalesforceEvents.js"
import * as TokenProvider from "./TokenProvider.js"
import type * as TokenStore from "./TokenStore.js"

/**
 * The provider name in events and errors.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "RefreshToken"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends method.CommonOptions {
  /** The connected app's consumer key. */
  readonly clientId: string
  /** The consumer secret, when the app requires it for the refresh-token flow. */
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  /** The refresh token to start from. */
  readonly refreshToken: Redacted.Redacted<string>
  /**
   * Called with each new refresh token as soon as Salesforce rotates it: persist it here. A
   * failure is logged (without the token) and does not fail the refresh: the new token stays in
   * use in this process.
   */
  readonly onRotate?: ((refreshToken: Redacted.Redacted<string>) => Effect.Effect<void, unknown>) | undefined
  /**
   * With a shared `TokenStore` (`@effect-salesforce/redis`) that cannot be reached: `"fail"`
   * (default: an uncoordinated refresh with rotation on revokes the whole token family) or
   * `"local"` (refresh in this process alone).
   */
  readonly whenStoreUnavailable?: TokenStore.TokenStore.WhenUnavailable | undefined
  /** How long an access token lives (the app's or org's session timeout), if known. */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * Learn each access token's expiry from `/services/oauth2/introspect` (needs `clientSecret`;
   * one extra call per token). Used only without `timeout`. Default `false`.
   */
  readonly introspect?: boolean | undefined
}

/**
 * Build a `TokenProvider` for the refresh-token flow. Fails with `InvalidConfigError` (before
 * any request) on an empty client id or refresh token.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<
  TokenProvider.TokenProvider.Service,
  InvalidConfigError,
  Scope.Scope | SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
> =>
  Effect.gen(function*() {
    const config = yield* SalesforceConfig
    const events = yield* SalesforceEvents
    const clientId = yield* method.requireText("clientId", options.clientId)
    const clientSecret = options.clientSecret === undefined
      ? undefined
      : yield* method.requireSecret("clientSecret", options.clientSecret)
    const initial = yield* method.requireSecret("refreshToken", options.refreshToken)
    const timeout = options.timeout === undefined ? undefined : Duration.decode(options.timeout)
    const http = yield* AuthHttp.make({ timeout: options.requestTimeout })

    const rotate = (next: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        yield* events.publish(SalesforceEvent.RefreshTokenRotated({ provider: name, refreshToken: next }))
        if (options.onRotate !== undefined) {
          yield* Effect.suspend(() => options.onRotate!(next)).pipe(
            Effect.catchAllCause(() =>
              Effect.logError(`${name}: onRotate failed; the rotated refresh token is kept in memory only`)
            )
          )
        }
      })

    const lifetime = oauth.lifetime(http, {
      method: name,
      baseUrl: config.baseUrl,
      timeout,
      introspect: options.introspect,
      clientId,
      clientSecret
    })

    // the TokenStore keeps the latest refresh token (shared across processes with a shared store)
    const acquire = (stored: TokenStore.TokenStore.Stored) => Effect.gen(function*() {
      const used = stored.refreshToken ?? initial
      const response = yield* oauth.requestToken(http, {
        method: name,
        baseUrl: config.baseUrl,
        params: { grant_type: "refresh_token", refresh_token: used, client_id: clientId, client_secret: clientSecret }
      })
      // rotation: the used token is dead now; hand the new one on before anything else can fail
      const rotated = response.refresh_token !== undefined &&
          Redacted.value(response.refresh_token) !== Redacted.value(used)
        ? response.refresh_token
        : undefined
      if (rotated !== undefined) yield* Effect.uninterruptible(rotate(rotated))
      return {
        accessToken: response.access_token,
        instanceUrl: response.instance_url,
        // an expiry that cannot be learned (introspection down) must not throw away a token pair
        // whose refresh token was just rotated: the token is then used until it is rejected
        expiresIn: yield* Effect.orElseSucceed(lifetime(response), () => undefined),
        refreshToken: rotated
      } satisfies TokenProvider.TokenProvider.Grant
    })

    return yield* TokenProvider.make({
      name,
      acquire,
      refreshToken: initial,
      // processes configured with the same app and refresh token share one entry of a shared store
      storeKey: { loginHost: config.baseUrl.host, principal: `${clientId}:${method.fingerprint(initial)}` },
      whenStoreUnavailable: options.whenStoreUnavailable ?? "fail",
      ...method.providerOptions(options)
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  TokenProvider.TokenProvider,
  InvalidConfigError,
  SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
> => Layer.scoped(TokenProvider.TokenProvider, make(options))

/**
 * {@link layer} from configuration. By default: `SALESFORCE_CLIENT_ID`,
 * `SALESFORCE_CLIENT_SECRET` (secret, optional) and `SALESFORCE_REFRESH_TOKEN` (secret); pass a
 * `Config` to read another name. The other options (`onRotate`...) are given as plain values.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config:
    & {
      readonly clientId?: Config.Config<string> | undefined
      readonly clientSecret?: Config.Config<Redacted.Redacted<string> | undefined> | undefined
      readonly refreshToken?: Config.Config<Redacted.Redacted<string>> | undefined
    }
    & Omit<Options, "clientId" | "clientSecret" | "refreshToken"> = {}
): Layer.Layer<
  TokenProvider.TokenProvider,
  InvalidConfigError | ConfigError.ConfigError,
  SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.all({
        clientId: config.clientId ?? Config.string("SALESFORCE_CLIENT_ID"),
        clientSecret: config.clientSecret ?? method.optionalRedacted("SALESFORCE_CLIENT_SECRET"),
        refreshToken: config.refreshToken ?? Config.redacted("SALESFORCE_REFRESH_TOKEN")
      }),
      (credentials) =>
        layer({
          ...method.pickCommon(config),
          onRotate: config.onRotate,
          whenStoreUnavailable: config.whenStoreUnavailable,
          timeout: config.timeout,
          introspect: config.introspect,
          ...credentials
        })
    )
  )
