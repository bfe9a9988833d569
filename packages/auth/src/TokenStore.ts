/**
 * `TokenStore`: where a `TokenProvider` keeps what outlives one acquisition (the latest token,
 * the latest refresh token, a remembered "no") and how its acquisitions are coordinated.
 *
 * The default, in memory, is one process's own: each provider keeps its token and refresh token
 * to itself, and its cache (`TokenProvider.make`) does the single flight. A shared store
 * (`@effect-salesforce/redis`) makes a fleet of processes act as one provider: one process
 * acquires under a lease lock while the others wait for its result and read it from the store,
 * a refresh token rotated by one process is the one every process uses next, and a definite
 * "no" is remembered for all of them.
 *
 * A warm `get` never reaches the store: the provider's cache answers it in memory until the
 * token's known expiry or a rejection. The store is only asked when the cache would acquire.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import type { AccessToken } from "./AccessToken.js"
import type { AuthError } from "./AuthError.js"

/**
 * @since 0.1.0
 */
export declare namespace TokenStore {
  /**
   * What a store entry belongs to. No secret may go into a key: a store names its entries from
   * a hash of these fields.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Key {
    /** The login host or My Domain, `acme.my.salesforce.com`. */
    readonly loginHost: string
    /** The auth method, `ClientCredentials`, `RefreshToken`... */
    readonly method: string
    /** Who logs in: a client id, a username, or both (never a secret; hash one first). */
    readonly principal: string
  }

  /**
   * What the store holds when an acquisition starts.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Stored {
    /** The refresh token to use: the latest one any process saved, if any. */
    readonly refreshToken: Redacted.Redacted<string> | undefined
    /**
     * Keep a rotated refresh token, at once: the one just used is dead. With a shared store this
     * is a write at the version read under the lock; when it cannot be made, it fails closed
     * (`TokenStoreError`): no process may refresh with the dead token again.
     */
    readonly rotate: (refreshToken: Redacted.Redacted<string>) => Effect.Effect<void, AuthError>
  }

  /**
   * One acquisition, as the provider's cache asks for it.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Acquisition {
    /** The token being replaced, if any: a stored token other than this one that is still usable is taken instead. */
    readonly previous: AccessToken | undefined
    /** Can this token be handed out at `now` (epoch millis)? The provider's expiry margin applies. */
    readonly usable: (token: AccessToken, now: number) => boolean
    /**
     * Checks a token read back from a shared store before it is handed out (where it may be sent:
     * the provider's trusted instance hosts), as a fresh grant is checked.
     */
    readonly check: (token: AccessToken) => Effect.Effect<AccessToken, AuthError>
    /** Logs in or refreshes, with what the store holds. */
    readonly run: (stored: Stored) => Effect.Effect<AccessToken, AuthError>
    /** How long a failure is remembered for every process (millis; 0: not remembered). */
    readonly cooldownMillis: (error: AuthError) => number
    /** Does this failure mean the stored refresh token is dead (clear it)? */
    readonly revokesRefreshToken: (error: AuthError) => boolean
    /**
     * Reports that a shared store could not be reached (`operation` failed with `detail`, never
     * a secret) and what the provider's policy does about it: a `TokenStoreUnavailable` event,
     * and a warning in the log when this process acquires alone.
     */
    readonly storeUnavailable: (operation: string, detail: string, policy: WhenUnavailable) => Effect.Effect<void>
  }

  /**
   * A provider's entry in the store.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Slot {
    /** Run `acquisition` as the one acquisition of everyone sharing this entry, or take their result. */
    readonly acquire: (acquisition: Acquisition) => Effect.Effect<AccessToken, AuthError>
  }

  /**
   * What a provider does when a shared store cannot be reached: `"fail"` with a
   * `TokenStoreError`, or `"local"`: acquire in this process alone (single flight within the
   * process only) and publish a `TokenStoreUnavailable` event. `"fail"` is the default for
   * refresh tokens (an uncoordinated refresh with rotation on revokes the whole token family),
   * `"local"` for the other methods.
   *
   * @since 0.1.0
   * @category models
   */
  export type WhenUnavailable = "fail" | "local"

  /**
   * @since 0.1.0
   * @category models
   */
  export interface SlotOptions {
    /** The refresh token to start from, when the store holds none. */
    readonly refreshToken?: Redacted.Redacted<string> | undefined
    readonly whenUnavailable: WhenUnavailable
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Shared across processes? (The in-memory store is not.) */
    readonly shared: boolean
    /** The entry of one provider; its background work runs in the scope. */
    readonly slot: (key: Key, options: SlotOptions) => Effect.Effect<Slot, never, Scope.Scope>
  }
}

/**
 * The in-memory store: one provider's refresh token, kept for it alone; acquisitions run as they
 * come (the provider's cache already makes them single-flight). Today's single-process
 * behaviour, and the default.
 *
 * @since 0.1.0
 * @category constructors
 */
export const memory: TokenStore.Service = {
  shared: false,
  slot: (_key, options) =>
    Effect.map(Ref.make(options.refreshToken), (refreshToken): TokenStore.Slot => ({
      acquire: (acquisition) =>
        Effect.flatMap(
          Ref.get(refreshToken),
          (current) => acquisition.run({ refreshToken: current, rotate: (next) => Ref.set(refreshToken, next) })
        )
    }))
}

/**
 * The store every `TokenProvider` uses: in memory unless a layer provides another
 * (`RedisTokenStore.layer` from `@effect-salesforce/redis`). Read when the provider is built.
 *
 * @since 0.1.0
 * @category services
 */
export class TokenStore extends Context.Reference<TokenStore>()("@effect-salesforce/auth/TokenStore", {
  defaultValue: (): TokenStore.Service => memory
}) {}
