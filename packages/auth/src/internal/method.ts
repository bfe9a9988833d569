/**
 * What the built-in auth methods share: the provider knobs they pass through to
 * `TokenProvider.make`, the per-request timeout of `AuthHttp`, the checked token lifetime, the
 * `make` → `layer` → `layerConfig` tail, and small config helpers.
 * @internal
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Crypto from "node:crypto"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { InvalidConfigError } from "../AuthError.js"
import type { SalesforceConfig } from "../SalesforceConfig.js"
import type { SalesforceEvents } from "../SalesforceEvents.js"
import * as TokenProvider from "../TokenProvider.js"

/**
 * The options every built-in method accepts besides its credentials.
 * @internal
 */
export interface CommonOptions {
  /** A token is treated as expired this long before its expiry. Default 60 seconds. */
  readonly expiryMargin?: Duration.DurationInput | undefined
  /** Refresh in the background ahead of a known expiry (see `TokenProvider.Options`). Default `true`. */
  readonly proactiveRefresh?: TokenProvider.TokenProvider.Options["proactiveRefresh"]
  /** How long a definite "no" is remembered (no I/O meanwhile). Default 5 minutes; `0` disables it. */
  readonly failureCooldown?: Duration.DurationInput | undefined
  /** Bound on one whole acquisition, retries included. Default 2 minutes. */
  readonly acquireTimeout?: Duration.DurationInput | undefined
  /** Bound on one HTTP request to Salesforce, body included. Default 30 seconds. */
  readonly requestTimeout?: Duration.DurationInput | undefined
}

/**
 * What every built-in method's layer needs besides its own extras.
 * @internal
 */
export type Requirements = SalesforceConfig | SalesforceEvents | HttpClient.HttpClient

/**
 * A method's constructor: options in, provider out, refusing bad options before any request.
 * @internal
 */
export type Make<O> = (
  options: O
) => Effect.Effect<TokenProvider.TokenProvider.Service, InvalidConfigError, Scope.Scope | Requirements>

/** The default expiry margin of `TokenProvider.make`. @internal */
const defaultExpiryMargin = Duration.seconds(60)

/**
 * The configured `tokenLifetime`, checked against the expiry margin: a lifetime not longer than
 * the margin would make every token count as expired on arrival. A bare number is milliseconds
 * (Effect's rule), so a number that reads like seconds gets a hint.
 * @internal
 */
export const tokenLifetime = (
  options: { readonly tokenLifetime?: Duration.DurationInput | undefined; readonly expiryMargin?: Duration.DurationInput | undefined }
): Effect.Effect<Duration.Duration | undefined, InvalidConfigError> => {
  if (options.tokenLifetime === undefined) return Effect.succeed(undefined)
  const lifetime = Duration.decodeUnknown(options.tokenLifetime)
  const margin = Duration.decodeUnknown(options.expiryMargin ?? defaultExpiryMargin)
  if (lifetime._tag === "None" || margin._tag === "None") {
    return Effect.fail(
      new InvalidConfigError({
        field: lifetime._tag === "None" ? "tokenLifetime" : "expiryMargin",
        detail: "is not a duration; use a form like \"2 hours\" or \"900 seconds\""
      })
    )
  }
  if (Duration.greaterThan(lifetime.value, margin.value)) return Effect.succeed(lifetime.value)
  const hint = typeof options.tokenLifetime === "number"
    ? `; a bare number is milliseconds: did you mean "${options.tokenLifetime} seconds"?`
    : ""
  return Effect.fail(
    new InvalidConfigError({
      field: "tokenLifetime",
      detail: `${Duration.format(lifetime.value)} is not longer than expiryMargin (${
        Duration.format(margin.value)
      }): every token would count as expired on arrival${hint}`
    })
  )
}

/**
 * The options of a method's `layerConfig`: its credentials (`K`) as `Config`s, the rest of its
 * options as plain values.
 * @internal
 */
export type ConfigOptions<O, K extends keyof O> =
  & Omit<O, K>
  & { readonly [P in K]?: Config.Config<O[P]> | undefined }

/**
 * The tail every method module would otherwise repeat: its `layer` from its `make`, and its
 * `layerConfig`, which reads the credentials (each `Config` given, or the default one) and
 * passes every other option through as given.
 * @internal
 */
export const layers = <O, K extends keyof O & string, R>(
  make: (options: O) => Effect.Effect<TokenProvider.TokenProvider.Service, InvalidConfigError, R>,
  credentials: { readonly [P in K]: Config.Config<O[P]> }
) => {
  const layer = (options: O): Layer.Layer<TokenProvider.TokenProvider, InvalidConfigError, Exclude<R, Scope.Scope>> =>
    Layer.scoped(TokenProvider.TokenProvider, make(options))
  const build = (
    config?: ConfigOptions<O, K>
  ): Layer.Layer<TokenProvider.TokenProvider, InvalidConfigError | ConfigError.ConfigError, Exclude<R, Scope.Scope>> => {
    const given: Readonly<Record<string, unknown>> = config ?? {}
    const rest: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(given)) if (!(key in credentials)) rest[key] = value
    const configs: Record<string, Config.Config<unknown>> = {}
    for (const [key, fallback] of Object.entries<Config.Config<unknown>>(credentials)) {
      configs[key] = Config.isConfig(given[key]) ? given[key] : fallback
    }
    // the one place the split options are put back together: the keys are those of O by construction
    return Layer.unwrapEffect(Effect.map(Config.all(configs), (values) => layer({ ...rest, ...values } as O)))
  }
  // without options, every call is the same layer: two references build one provider
  const fromEnvironment = build()
  const layerConfig = (config?: ConfigOptions<O, K>) => (config === undefined ? fromEnvironment : build(config))
  return { layer, layerConfig }
}

/** A method's provider: `TokenProvider.make` with the method's name, its common options and its store entry. @internal */
export const provider = (
  name: string,
  acquire: TokenProvider.TokenProvider.Options["acquire"],
  options: CommonOptions,
  store: Pick<TokenProvider.TokenProvider.Options, "storeKey" | "refreshToken" | "whenStoreUnavailable"> = {}
): Effect.Effect<TokenProvider.TokenProvider.Service, never, Scope.Scope | SalesforceEvents> =>
  TokenProvider.make({
    authMethod: name,
    acquire,
    expiryMargin: options.expiryMargin,
    proactiveRefresh: options.proactiveRefresh,
    failureCooldown: options.failureCooldown,
    acquireTimeout: options.acquireTimeout,
    ...store
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
