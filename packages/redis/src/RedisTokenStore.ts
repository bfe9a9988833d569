/**
 * A `TokenStore` on Redis: one Salesforce token, and one refresh, for a whole fleet of processes.
 *
 * Provide it next to any auth layer and every built-in method shares its token across processes
 * keyed by login host, method and principal (client id, username; a refresh token only by a
 * SHA-256 fingerprint): no secret is ever part of a key name.
 *
 * - **Distributed single flight**: one process acquires, under a lock with a lease (renewed while
 *   it works, released only by its holder); the others wait for its result (a Redis message, or
 *   the next poll) and read the token from the store.
 * - **Re-check after the lock**: a holder first reads the store again; a token newer than the one
 *   it had is used as is.
 * - **Rotation-safe**: the refresh token lives in the store; a rotated one is written at the
 *   version the holder read, before anything else. If that write fails the provider fails closed
 *   (`TokenStoreError`), `onRotate` has still seen the new token.
 * - **Shared failure**: a definite "no" is stored for the cool-down; a dead refresh token is
 *   cleared from the store.
 * - **Warm `get` stays in memory**: the store is only asked when a provider would acquire.
 * - **At rest**: with `encryptionKey`, entries are sealed with AES-256-GCM (`node:crypto`).
 *   Entries expire with their token (or cool-down); an entry that holds a refresh token does not
 *   expire.
 *
 * @example
 * ```ts
 * import { RedisTokenStore } from "@effect-salesforce/redis"
 * import { ClientCredentials } from "@effect-salesforce/auth"
 * import { Layer } from "effect"
 *
 * const Auth = ClientCredentials.layerConfig().pipe(
 *   Layer.provide(RedisTokenStore.layer({ url: "redis://127.0.0.1:6379" }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import { TokenStore } from "@effect-salesforce/auth/TokenStore"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import { Redis } from "ioredis"
import * as Ops from "./internal/redisOps.js"
import * as Seal from "./internal/seal.js"
import * as Slot from "./internal/slot.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Your ioredis client (this store never closes it), or ... */
  readonly client?: Redis | undefined
  /** ... a Redis URL to connect to (closed with the layer). */
  readonly url?: string | undefined
  /** Key prefix. Default `"effect-salesforce:"`. */
  readonly prefix?: string | undefined
  /** Seal entries with AES-256-GCM under a key derived from this secret. */
  readonly encryptionKey?: Redacted.Redacted<string> | undefined
  /** The lock's lease: what a holder that dies costs the others. Default 15 seconds. */
  readonly lease?: Duration.DurationInput | undefined
  /** How often waiters look again when no message arrives. Default 250 milliseconds. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** Bound on each Redis command. Default 2 seconds. */
  readonly commandTimeout?: Duration.DurationInput | undefined
}

/** Connection errors surface as failed commands (`TokenStoreError` or the local fallback), not as process-level noise. */
const quiet = (redis: Redis): Redis => redis.on("error", () => {})

/**
 * Build the store. Its connections (when it opened them) close with the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<TokenStore.Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const redis = options.client ?? (yield* Effect.acquireRelease(
      Effect.sync(() => quiet(new Redis(options.url ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 }))),
      (r) => Effect.promise(() => r.quit().catch(() => r.disconnect()))
    ))
    // a subscriber connection of our own: a connection in subscribe mode can do nothing else
    const subscriber = yield* Effect.acquireRelease(
      Effect.sync(() => quiet(redis.duplicate())),
      (r) => Effect.sync(() => r.disconnect())
    )
    const notifier = yield* Ops.notifier(subscriber)
    const prefix = options.prefix ?? "effect-salesforce:"
    const sealer = options.encryptionKey === undefined ? Seal.plain : Seal.aesGcm(Redacted.value(options.encryptionKey))
    const settings: Slot.Settings = {
      lease: Duration.decode(options.lease ?? Duration.seconds(15)),
      pollInterval: Duration.decode(options.pollInterval ?? Duration.millis(250)),
      unknownExpiryTtl: Duration.hours(2)
    }
    const commandTimeout = Duration.decode(options.commandTimeout ?? Duration.seconds(2))
    return {
      shared: true,
      slot: (key, slotOptions) => {
        const id = Crypto.createHash("sha256")
          .update(`${key.loginHost}\n${key.method}\n${key.principal}`)
          .digest("hex")
          .slice(0, 32)
        const keys = Ops.keys(prefix, id)
        return Slot.make({
          ops: Ops.make(redis, keys, commandTimeout),
          notifier,
          channel: keys.channel,
          keyName: keys.entry,
          sealer,
          settings,
          method: key.method,
          slot: slotOptions
        })
      }
    } satisfies TokenStore.Service
  })

/**
 * Provide the Redis store to every `TokenProvider` built under it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<TokenStore> => Layer.scoped(TokenStore, make(options))

/**
 * {@link layer} from configuration: `REDIS_URL` (default `redis://127.0.0.1:6379`) and the
 * optional secret `SALESFORCE_TOKEN_STORE_KEY` for encryption at rest.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: {
    readonly url?: Config.Config<string> | undefined
    readonly encryptionKey?: Config.Config<Redacted.Redacted<string> | undefined> | undefined
  } & Omit<Options, "url" | "encryptionKey" | "client"> = {}
): Layer.Layer<TokenStore, ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.all({
        url: config.url ?? Config.string("REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379")),
        encryptionKey: config.encryptionKey ??
          Config.redacted("SALESFORCE_TOKEN_STORE_KEY").pipe(Config.withDefault(undefined))
      }),
      (values) => layer({ ...config, ...values })
    )
  )
