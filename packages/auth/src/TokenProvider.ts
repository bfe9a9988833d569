/**
 * `TokenProvider`: the service that hands out Salesforce access tokens.
 *
 * Every auth method (SOAP login, client credentials, JWT bearer, refresh token, a static token,
 * and any custom method) is a `Layer` that provides this one service. The client layer only
 * ever sees a `TokenProvider`, and tests swap in {@link layerStatic} or {@link layerTest}.
 *
 * {@link make} is where the behaviour lives, for built-in and custom methods alike: a cached
 * token, single-flight acquisition, expiry with a margin, proactive refresh in the background,
 * retries on transient faults, a cool-down after a definite "no", and events.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as AccessToken from "./AccessToken.js"
import { AuthenticationError, type AuthError, InvalidConfigError } from "./AuthError.js"
import * as internalCache from "./internal/tokenCache.js"
import * as internal from "./internal/tokenProvider.js"
import type { TokenStore } from "./TokenStore.js"
import type { SalesforceEvents } from "./SalesforceEvents.js"
import { checkInstanceUrl } from "./internal/url.js"

/**
 * @since 0.1.0
 * @category services
 */
export class TokenProvider extends Context.Tag("@effect-salesforce/auth/TokenProvider")<
  TokenProvider,
  TokenProvider.Service
>() {}

/**
 * @since 0.1.0
 */
export declare namespace TokenProvider {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The cached token, acquiring (once, however many callers) when there is none or it has expired. */
    readonly get: Effect.Effect<AccessToken.AccessToken, AuthError>
    /**
     * Replace a token the server rejected. Pass the token that was rejected: if a newer one is
     * already cached it is returned without I/O, so N callers that saw the same 401 cause one
     * refresh. Without an argument, forces a refresh.
     */
    readonly refresh: (stale?: AccessToken.AccessToken) => Effect.Effect<AccessToken.AccessToken, AuthError>
    /** Forget the cached token and any remembered failure; the next `get` acquires. */
    readonly invalidate: Effect.Effect<void>
  }

  /**
   * What an acquisition returns: the token, where to use it, and how long it lives if known.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Grant {
    readonly accessToken: Redacted.Redacted<string>
    /** `https://acme.my.salesforce.com` (https, or http on loopback only). */
    readonly instanceUrl: string
    /** Defaults to now. */
    readonly issuedAt?: DateTime.Utc | undefined
    /** When the token stops working, if known. */
    readonly expiresAt?: DateTime.Utc | undefined
    /** Or: how long it lives from `issuedAt`. */
    readonly expiresIn?: Duration.DurationInput | undefined
    /**
     * A new refresh token the answer carried (rotation): it replaces the one in the
     * `TokenStore` at once, for this process and, with a shared store, for every process.
     */
    readonly refreshToken?: Redacted.Redacted<string> | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options<R = never> {
    /**
     * The auth method's name in events (`authMethod`), spans (`salesforce.auth.method`) and
     * errors (`method`), such as `"SoapLogin"`. Default `"Custom"`.
     */
    readonly authMethod?: string | undefined
    /**
     * Acquire a new token from scratch. A method that holds a refresh token gives a function
     * instead: it is called with what the `TokenStore` holds, so it always uses the latest
     * refresh token (see {@link Options.refreshToken}).
     */
    readonly acquire:
      | Effect.Effect<Grant, AuthError, R>
      | ((stored: TokenStore.Stored) => Effect.Effect<Grant, AuthError, R>)
    /** Replace an existing token (given); defaults to `acquire`. */
    readonly refresh?: ((previous: AccessToken.AccessToken) => Effect.Effect<Grant, AuthError, R>) | undefined
    /**
     * A token is treated as expired this long before its expiry. Default 60 seconds. A token that
     * lives less than four margins (a short server-reported lifetime) gets a quarter of its
     * lifetime as margin instead, so it is never expired on arrival.
     */
    readonly expiryMargin?: Duration.DurationInput | undefined
    /**
     * Refresh in the background before expiry, so callers never wait. Default `true`.
     * `ahead` is how long before the expiry margin to refresh (default 5 minutes, at most half the
     * token's usable life); `schedule` spaces retries of a failed background refresh (default
     * exponential from 1 second, capped at 1 minute).
     *
     * Limits, so that a short lifetime never turns into a login loop: a token is refreshed in the
     * background only if a caller has used it since it arrived (an idle provider does not log in),
     * and the provider never starts an acquisition on its own initiative (a background refresh or
     * one of its retries) sooner than {@link minimumRefreshInterval} after the previous one.
     */
    readonly proactiveRefresh?:
      | boolean
      | {
        readonly ahead?: Duration.DurationInput | undefined
        readonly schedule?: Schedule.Schedule<unknown, unknown> | undefined
      }
      | undefined
    /**
     * After a definite "no" (`AuthenticationError`), further calls get the same error without
     * I/O for this long, or until `invalidate`. Default 5 minutes; `0` disables it.
     */
    readonly failureCooldown?: Duration.DurationInput | undefined
    /** Bound on one whole acquisition, retries included. Default 2 minutes. */
    readonly acquireTimeout?: Duration.DurationInput | undefined
    /**
     * The refresh token to start from, for methods that hold one. The `TokenStore` keeps the
     * latest (`Grant.refreshToken`) and hands it to `acquire`; with a shared store it is the one
     * every process uses, so a rotated refresh token is never sent twice.
     */
    readonly refreshToken?: Redacted.Redacted<string> | undefined
    /**
     * Which entry of a shared `TokenStore` this provider uses: processes with the same key
     * share one token. Built-in methods set it (login host, and client id or username); a custom
     * provider without one keeps its token in memory even when a shared store is provided.
     */
    readonly storeKey?: { readonly loginHost: string; readonly principal: string } | undefined
    /** What to do when a shared store cannot be reached (see `TokenStore.WhenUnavailable`). Default `"local"`. */
    readonly whenStoreUnavailable?: TokenStore.WhenUnavailable | undefined
  }
}

/**
 * The least time between two acquisitions a provider starts on its own initiative (background
 * refreshes and their retries): 5 seconds. Acquisitions that callers ask for are single-flight
 * and bounded by the failure cool-down instead.
 *
 * @since 0.2.0
 * @category constants
 */
export const minimumRefreshInterval: Duration.Duration = Duration.millis(internalCache.minimumRefreshIntervalMillis)

/**
 * Build a `TokenProvider` from an acquire effect. This is the custom-auth API, and what every
 * built-in method is made of. The provider's background work (acquisitions, proactive refresh)
 * runs in the scope, and stops when it closes.
 *
 * @example
 * ```ts
 * import { TokenProvider } from "@effect-salesforce/auth"
 * import { Effect, Redacted } from "effect"
 *
 * // your token service
 * const fetchFromVault = Effect.succeed({ token: "00D...", instanceUrl: "https://acme.my.salesforce.com" })
 *
 * const provider = TokenProvider.make({
 *   authMethod: "Vault",
 *   acquire: Effect.map(fetchFromVault, (t) => ({
 *     accessToken: Redacted.make(t.token),
 *     instanceUrl: t.instanceUrl,
 *     expiresIn: "30 minutes"
 *   }))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <R = never>(
  options: TokenProvider.Options<R>
) => Effect.Effect<TokenProvider.Service, never, Scope.Scope | SalesforceEvents | R> = internal.make

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(options: TokenProvider.Options<R>): Layer.Layer<TokenProvider, never, SalesforceEvents | R> =>
  Layer.scoped(TokenProvider, make(options))

/**
 * A fixed access token, for scripts and for tests. It is never refreshed: when the server
 * rejects it, `refresh` fails with an `AuthenticationError` (code `STATIC_TOKEN_REJECTED`)
 * instead of looping.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStatic = (options: {
  readonly accessToken: Redacted.Redacted<string>
  readonly instanceUrl: string
}): Layer.Layer<TokenProvider, InvalidConfigError> =>
  Layer.effect(
    TokenProvider,
    Effect.gen(function*() {
      const instanceUrl = yield* checkInstanceUrl(options.instanceUrl).pipe(
        Effect.mapError((detail) => new InvalidConfigError({ field: "instanceUrl", detail }))
      )
      const token = AccessToken.make({ value: options.accessToken, instanceUrl, issuedAt: yield* DateTime.now })
      const rejected = new AuthenticationError({
        method: "Static",
        code: "STATIC_TOKEN_REJECTED",
        description: "the static access token was rejected by Salesforce and cannot be refreshed; supply a new token"
      })
      return { get: Effect.succeed(token), refresh: () => Effect.fail(rejected), invalidate: Effect.void }
    })
  )

/**
 * {@link layerStatic} from configuration: `SALESFORCE_ACCESS_TOKEN` (secret) and
 * `SALESFORCE_INSTANCE_URL` by default.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStaticConfig = (config: {
  readonly accessToken?: Config.Config<Redacted.Redacted<string>>
  readonly instanceUrl?: Config.Config<string>
} = {}): Layer.Layer<TokenProvider, InvalidConfigError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.all({
        accessToken: config.accessToken ?? Config.redacted("SALESFORCE_ACCESS_TOKEN"),
        instanceUrl: config.instanceUrl ?? Config.string("SALESFORCE_INSTANCE_URL")
      }),
      layerStatic
    )
  )

/**
 * The counters and levers of {@link layerTest}.
 *
 * @since 0.1.0
 * @category services
 */
export class TestTokenProvider extends Context.Tag("@effect-salesforce/auth/TestTokenProvider")<
  TestTokenProvider,
  {
    /** How many times `acquire` ran. */
    readonly acquisitions: Effect.Effect<number>
    /** How many times `refresh` ran. */
    readonly refreshes: Effect.Effect<number>
    /** Make the next acquisition or refresh fail with this error. */
    readonly failNext: (error: AuthError) => Effect.Effect<void>
  }
>() {}

/**
 * A stub provider for tests: hands out scripted tokens (`test-token-1`, `test-token-2`, ... by
 * default; the last scripted one repeats), counts acquisitions and refreshes, and can be told to
 * fail. It has the real caching rules (single flight, `refresh(stale)`), no cool-down, and needs
 * nothing: no network, no events bus.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (options: {
  readonly tokens?: ReadonlyArray<string>
  readonly instanceUrl?: string
  readonly expiresIn?: Duration.DurationInput
} = {}): Layer.Layer<TokenProvider | TestTokenProvider> =>
  Layer.scopedContext(
    Effect.gen(function*() {
      const acquisitions = yield* Ref.make(0)
      const refreshes = yield* Ref.make(0)
      const failure = yield* Ref.make<AuthError | undefined>(undefined)
      const issue = (counter: Ref.Ref<number>) =>
        Effect.gen(function*() {
          const next = yield* Ref.getAndSet(failure, undefined)
          if (next !== undefined) return yield* Effect.fail(next)
          yield* Ref.update(counter, (k) => k + 1)
          const index = (yield* Ref.get(acquisitions)) + (yield* Ref.get(refreshes)) - 1
          const scripted = options.tokens ?? []
          const value = scripted.length > 0 ? scripted[Math.min(index, scripted.length - 1)]! : `test-token-${index + 1}`
          return {
            accessToken: Redacted.make(value),
            instanceUrl: options.instanceUrl ?? "https://test.my.salesforce.com",
            expiresIn: options.expiresIn
          } satisfies TokenProvider.Grant
        })
      const service = yield* internal.makeWithEvents({
        authMethod: "Test",
        acquire: issue(acquisitions),
        refresh: () => issue(refreshes),
        failureCooldown: 0,
        proactiveRefresh: options.expiresIn !== undefined
      }, undefined)
      return Context.make(TokenProvider, service).pipe(
        Context.add(TestTokenProvider, {
          acquisitions: Ref.get(acquisitions),
          refreshes: Ref.get(refreshes),
          failNext: (error) => Ref.set(failure, error)
        })
      )
    })
  )
