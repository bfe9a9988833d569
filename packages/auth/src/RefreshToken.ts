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
 * const stored = "5Aep861..." // the refresh token you saved
 * declare const vault: { readonly write: (key: string, value: string) => Promise<void> }
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
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as AccessToken from "./AccessToken.js"
import * as AuthHttp from "./AuthHttp.js"
import * as method from "./internal/method.js"
import * as oauth from "./internal/oauth.js"
import type * as TokenStore from "./TokenStore.js"
import type * as TokenProvider from "./TokenProvider.js"
import { SalesforceConfig } from "./SalesforceConfig.js"
import { SalesforceEvent } from "./SalesforceEvent.js"
import { SalesforceEvents } from "./SalesforceEvents.js"

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
   * An access token already in hand (`AuthorizationCode.exchange`'s): handed out first, and
   * refreshed only when it expires or is rejected.
   */
  readonly accessToken?: AccessToken.AccessToken | undefined
  /**
   * Called with each new refresh token as soon as Salesforce rotates it: persist it here. A
   * failure is logged (without the token) and does not fail the refresh: the new token stays in
   * use in this process.
   */
  readonly onRotate?: ((refreshToken: Redacted.Redacted<string>) => Effect.Effect<void, unknown>) | undefined
  /**
   * How long an access token lives (the app's or org's session timeout), if known, such as
   * `"2 hours"` (a bare number is milliseconds). Must be longer than `expiryMargin`.
   */
  readonly tokenLifetime?: Duration.DurationInput | undefined
  /**
   * Learn each access token's expiry from `/services/oauth2/introspect` (needs `clientSecret`;
   * one extra call per token). Used only without `tokenLifetime`. Default `false`.
   */
  readonly introspect?: boolean | undefined
  /**
   * With a shared `TokenStore` (`@effect-salesforce/redis`) that cannot be reached: `"fail"`
   * (default: an uncoordinated refresh with rotation on revokes the whole token family) or
   * `"local"` (refresh in this process alone).
   */
  readonly whenStoreUnavailable?: TokenStore.TokenStore.WhenUnavailable | undefined
}

/** What {@link layerConfig} reads by default: the credentials, each overridable with a `Config`. */
const credentials = {
  clientId: Config.string("SALESFORCE_CLIENT_ID"),
  clientSecret: method.optionalRedacted("SALESFORCE_CLIENT_SECRET"),
  refreshToken: Config.redacted("SALESFORCE_REFRESH_TOKEN")
}

/**
 * The options of {@link layerConfig}: the credentials as `Config`, the rest as plain values.
 *
 * @since 0.2.0
 * @category models
 */
export type ConfigOptions = method.ConfigOptions<Options, keyof typeof credentials>

/**
 * Build a `TokenProvider` for the refresh-token flow. Fails with `InvalidConfigError` (before
 * any request) on an empty client id or refresh token.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: method.Make<Options> = (options) =>
  Effect.gen(function*() {
    const config = yield* SalesforceConfig
    const events = yield* SalesforceEvents
    const clientId = yield* method.requireText("clientId", options.clientId)
    const clientSecret = options.clientSecret === undefined
      ? undefined
      : yield* method.requireSecret("clientSecret", options.clientSecret)
    const configured = yield* method.requireSecret("refreshToken", options.refreshToken)
    const tokenLifetime = yield* method.tokenLifetime(options)
    const http = yield* AuthHttp.make({ requestTimeout: options.requestTimeout })

    const rotate = (next: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        yield* events.publish(SalesforceEvent.RefreshTokenRotated({ authMethod: name, refreshToken: next }))
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
      tokenLifetime,
      introspect: options.introspect,
      clientId,
      clientSecret
    })

    const initial = yield* Ref.make(options.accessToken)

    // the TokenStore keeps the latest refresh token (shared by every process with a shared store)
    const acquire = (stored: TokenStore.TokenStore.Stored) => Effect.gen(function*() {
      const seed = yield* Ref.getAndSet(initial, undefined)
      if (seed !== undefined) {
        return {
          accessToken: seed.value,
          instanceUrl: seed.instanceUrl,
          issuedAt: seed.issuedAt,
          expiresAt: Option.getOrUndefined(seed.expiresAt),
          expiresIn: Option.isNone(seed.expiresAt) ? tokenLifetime : undefined
        } satisfies TokenProvider.TokenProvider.Grant
      }
      const used = stored.refreshToken ?? configured
      const response = yield* oauth.requestToken(http, {
        method: name,
        baseUrl: config.baseUrl,
        params: { grant_type: "refresh_token", refresh_token: used, client_id: clientId, client_secret: clientSecret }
      })
      // rotation: the used token is dead now; the provider stores the new one before anything
      // else can fail, and an expiry that cannot be learned (introspection down) must not throw
      // the new pair away: the token is then used until it is rejected
      const rotated = response.refresh_token !== undefined &&
          Redacted.value(response.refresh_token) !== Redacted.value(used)
        ? response.refresh_token
        : undefined
      if (rotated !== undefined) yield* Effect.uninterruptible(rotate(rotated))
      const expiresIn = rotated === undefined
        ? yield* lifetime(response)
        : yield* Effect.orElseSucceed(lifetime(response), () => undefined)
      return { ...oauth.grant(response, expiresIn), refreshToken: rotated }
    })

    return yield* method.provider(name, acquire, options, {
      refreshToken: configured,
      // processes configured with the same app and refresh token share one entry of a shared store
      storeKey: { loginHost: config.baseUrl.host, principal: `${clientId}:${method.fingerprint(configured)}` },
      whenStoreUnavailable: options.whenStoreUnavailable ?? "fail"
    })
  })

const layers = method.layers(make, credentials)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = layers.layer

/**
 * {@link layer} from configuration. By default: `SALESFORCE_CLIENT_ID`,
 * `SALESFORCE_CLIENT_SECRET` (secret, optional) and `SALESFORCE_REFRESH_TOKEN` (secret); pass a
 * `Config` to read another name. The other options (`onRotate`...) are given as plain values.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = layers.layerConfig
