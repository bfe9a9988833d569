/**
 * What the built-in auth methods share: the provider knobs they pass through to
 * `TokenProvider.make`, the per-request timeout of `AuthHttp`, and small config helpers.
 * @internal
 */
import * as Crypto from "node:crypto"
import * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { InvalidConfigError } from "../AuthError.js"
import type { TokenProvider } from "../TokenProvider.js"

/**
 * The options every built-in method accepts besides its credentials.
 * @internal
 */
export interface CommonOptions {
  /** A token is treated as expired this long before its expiry. Default 60 seconds. */
  readonly expiryMargin?: Duration.DurationInput | undefined
  /** Refresh in the background ahead of a known expiry (see `TokenProvider.Options`). Default `true`. */
  readonly proactiveRefresh?: TokenProvider.Options["proactiveRefresh"]
  /** How long a definite "no" is remembered (no I/O meanwhile). Default 5 minutes; `0` disables it. */
  readonly failureCooldown?: Duration.DurationInput | undefined
  /** Bound on one whole acquisition, retries included. Default 2 minutes. */
  readonly acquireTimeout?: Duration.DurationInput | undefined
  /** Bound on one HTTP request to Salesforce, body included. Default 30 seconds. */
  readonly requestTimeout?: Duration.DurationInput | undefined
}

/** The `TokenProvider.make` options taken from {@link CommonOptions}. @internal */
export const providerOptions = (options: CommonOptions) => ({
  expiryMargin: options.expiryMargin,
  proactiveRefresh: options.proactiveRefresh,
  failureCooldown: options.failureCooldown,
  acquireTimeout: options.acquireTimeout
})

/** The common options out of a larger object (such as a `layerConfig` argument). @internal */
export const pickCommon = (options: CommonOptions): CommonOptions => ({
  expiryMargin: options.expiryMargin,
  proactiveRefresh: options.proactiveRefresh,
  failureCooldown: options.failureCooldown,
  acquireTimeout: options.acquireTimeout,
  requestTimeout: options.requestTimeout
})

/** An optional secret from configuration: `undefined` when unset. @internal */
export const optionalRedacted = (name: string): Config.Config<Redacted.Redacted<string> | undefined> =>
  Config.redacted(name).pipe(Config.withDefault(undefined))

/** An optional string from configuration: `undefined` when unset. @internal */
export const optionalString = (name: string): Config.Config<string | undefined> =>
  Config.string(name).pipe(Config.withDefault(undefined))

/** Fail with `InvalidConfigError` when a required text option is empty. @internal */
export const requireText = (field: string, value: string): Effect.Effect<string, InvalidConfigError> =>
  value.trim() === ""
    ? Effect.fail(new InvalidConfigError({ field, detail: "must not be empty" }))
    : Effect.succeed(value.trim())

/** Fail with `InvalidConfigError` when a required secret is empty (its value is never shown). @internal */
export const requireSecret = (
  field: string,
  value: Redacted.Redacted<string>
): Effect.Effect<Redacted.Redacted<string>, InvalidConfigError> =>
  Redacted.isRedacted(value) && Redacted.value(value) !== ""
    ? Effect.succeed(value)
    : Effect.fail(
      new InvalidConfigError({
        field,
        detail: Redacted.isRedacted(value) ? "must not be empty" : "must be a Redacted value (Redacted.make(...))"
      })
    )

/**
 * A short, one-way fingerprint of a secret, for naming things after it (a store key) without
 * revealing it: the first 16 hex digits of its SHA-256.
 * @internal
 */
export const fingerprint = (secret: Redacted.Redacted<string>): string =>
  Crypto.createHash("sha256").update(Redacted.value(secret)).digest("hex").slice(0, 16)
