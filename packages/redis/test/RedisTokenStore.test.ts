/**
 * The Redis store against a real redis-server and the emulator over HTTP. Each "process" is a
 * provider with its own store connections, as a separate process would have: nothing is shared
 * between them but Redis and the emulator.
 */
import * as ClientCredentials from "@effect-salesforce/auth/ClientCredentials"
import * as RefreshToken from "@effect-salesforce/auth/RefreshToken"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import { TokenStore } from "@effect-salesforce/auth/TokenStore"
import { Emulator } from "@effect-salesforce/emulator"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Redis } from "ioredis"
import { inject } from "vitest"
import * as RedisTokenStore from "../src/RedisTokenStore.js"

const app = {
  clientId: "3MVG9EmulatorDefaultClientId",
  clientSecret: "EmulatorDefaultClientSecret",
  refreshToken: "5Aep861EmulatorDefaultRefreshToken"
}

let run = 0
/** A fresh key prefix per test, so tests never see each other's entries. */
const freshPrefix = () => `test-${process.pid}-${++run}:`

const env = (options: Emulator.Options = {}) =>
  Layer.mergeAll(
    Layer.unwrapEffect(Effect.map(Emulator.Emulator, (e) => SalesforceConfig.layer({ baseUrl: e.baseUrl }))),
    SalesforceEvents.layer,
    NodeHttpClient.layerUndici
  ).pipe(Layer.provideMerge(Emulator.layer(options)))

/** One "process": its own Redis connections and its own provider. */
const processWith = <E, R>(
  store: RedisTokenStore.Options,
  make: Effect.Effect<TokenProvider.TokenProvider.Service, E, R>
): Effect.Effect<TokenProvider.TokenProvider.Service, E, R | Scope.Scope> =>
  Effect.flatMap(
    RedisTokenStore.make({ url: inject("redisUrl"), ...store }),
    (service) => Effect.provideService(make, TokenStore, service)
  )

const grants = (type: string) =>
  Effect.flatMap(Emulator.Emulator, (e) => Effect.map(e.control.counters, (c) => c.grantsPerType[type] ?? 0))

describe("RedisTokenStore (real redis-server, emulator over HTTP)", () => {
  it.scopedLive("8 processes × 50 concurrent get on an empty store: exactly 1 grant", () =>
    Effect.gen(function*() {
      const prefix = freshPrefix()
      const processes = yield* Effect.all(
        Array.from({ length: 8 }, () =>
          processWith({ prefix }, ClientCredentials.make({ clientId: app.clientId, clientSecret: Redacted.make(app.clientSecret) }))),
        { concurrency: "unbounded" }
      )
      const tokens = yield* Effect.all(
        processes.flatMap((p) => Array.from({ length: 50 }, () => p.get)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(new Set(tokens.map((t) => Redacted.value(t.value))).size, 1)
      assert.strictEqual(yield* grants("client_credentials"), 1)
    }).pipe(Effect.provide(env())))

  const rotationRounds = (store: "redis" | "memory") =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const prefix = freshPrefix()
      const make = RefreshToken.make({ clientId: app.clientId, refreshToken: Redacted.make(app.refreshToken) })
      const processes = yield* Effect.all(
        Array.from({ length: 4 }, () => (store === "redis" ? processWith({ prefix }, make) : make)),
        { concurrency: "unbounded" }
      )
      let failures = 0
      for (let round = 0; round < 20; round++) {
        const stale = yield* Effect.all(processes.map((p) => Effect.either(p.get)), { concurrency: "unbounded" })
        // the session is revoked: every process sees its token rejected and refreshes
        yield* control.expireAllSessions
        const results = yield* Effect.all(
          processes.map((p, i) => {
            const token = stale[i]!
            return Effect.either(Either.isRight(token) ? p.refresh(token.right) : p.refresh())
          }),
          { concurrency: "unbounded" }
        )
        failures += results.filter(Either.isLeft).length
      }
      const revoked = (yield* control.refreshTokens).filter((t) => t.status === "revoked").length
      return { refreshes: yield* grants("refresh_token"), failures, revoked }
    })

  it.scopedLive("rotation on, 4 processes forcing refreshes for 20 rounds: 20 refreshes, no failure, no family revoked", () =>
    Effect.gen(function*() {
      const { failures, refreshes, revoked } = yield* rotationRounds("redis")
      assert.strictEqual(failures, 0)
      assert.strictEqual(revoked, 0)
      assert.strictEqual(refreshes, 21) // the first acquisition, then one refresh per round
    }).pipe(Effect.provide(env({ refreshTokenRotation: true }))))

  it.scopedLive("the same run with each process on its own (in-memory) store revokes the token family", () =>
    Effect.gen(function*() {
      const { failures, revoked } = yield* rotationRounds("memory")
      assert.isAbove(revoked, 0)
      assert.isAbove(failures, 0)
    }).pipe(Effect.provide(env({ refreshTokenRotation: true }))))

  it.scopedLive("a wrong secret in 8 processes: one failed attempt in all, then the shared cool-down", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const prefix = freshPrefix()
      const processes = yield* Effect.all(
        Array.from({ length: 8 }, () =>
          processWith({ prefix }, ClientCredentials.make({ clientId: app.clientId, clientSecret: Redacted.make("wrong") }))),
        { concurrency: "unbounded" }
      )
      const errors = yield* Effect.all(processes.map((p) => Effect.flip(p.get)), { concurrency: "unbounded" })
      assert.isTrue(errors.every((e) => e._tag === "AuthenticationError"))
      const again = yield* Effect.all(processes.map((p) => Effect.flip(p.get)), { concurrency: "unbounded" })
      assert.isTrue(again.every((e) => e._tag === "AuthenticationError"))
      const log = yield* control.requestLog
      assert.strictEqual(log.filter((r) => r.path === "/services/oauth2/token").length, 1)
    }).pipe(Effect.provide(env())))

  it.scopedLive("a holder that died costs at most its lease: another process takes over", () =>
    Effect.gen(function*() {
      const prefix = freshPrefix()
      const lease = Duration.millis(600)
      const provider = yield* processWith(
        { prefix, lease },
        ClientCredentials.make({ clientId: app.clientId, clientSecret: Redacted.make(app.clientSecret) })
      )
      // a dead holder's lock, as a process killed mid-acquisition leaves it
      const redis = yield* Effect.acquireRelease(
        Effect.sync(() => new Redis(inject("redisUrl"))),
        (r) => Effect.promise(() => r.quit())
      )
      const token = yield* provider.get
      // plant a dead holder on the entry's lock and refresh: the provider waits out the lease
      const [entryKey] = yield* Effect.promise(() => redis.keys(`${prefix}*:entry`))
      const lockKey = entryKey!.replace(/:entry$/, ":lock")
      yield* Effect.promise(() => redis.set(lockKey, "dead-holder", "PX", 600))
      const started = Date.now()
      const next = yield* provider.refresh(token)
      assert.notStrictEqual(Redacted.value(next.value), Redacted.value(token.value))
      assert.isAtLeast(Date.now() - started, 300) // it waited for the lease, it did not break the lock
      assert.strictEqual(yield* grants("client_credentials"), 2)
    }).pipe(Effect.provide(env())))

  it.scopedLive("a token read back from the store goes only to a trusted instance: a planted evil host is refused", () =>
    Effect.gen(function*() {
      const prefix = freshPrefix()
      const make = ClientCredentials.make({ clientId: app.clientId, clientSecret: Redacted.make(app.clientSecret) })
      const first = yield* processWith({ prefix }, make)
      yield* first.get
      const redis = yield* Effect.acquireRelease(
        Effect.sync(() => new Redis(inject("redisUrl"))),
        (r) => Effect.promise(() => r.quit())
      )
      const [entryKey] = yield* Effect.promise(() => redis.keys(`${prefix}*:entry`))
      const data = JSON.parse((yield* Effect.promise(() => redis.hget(entryKey!, "data")))!)
      data.t.u = "https://evil.example"
      yield* Effect.promise(() => redis.hset(entryKey!, "data", JSON.stringify(data)))
      const second = yield* processWith({ prefix }, make)
      const error = yield* Effect.flip(second.get)
      assert.strictEqual(error._tag, "MalformedResponseError")
      assert.match(error.message, /evil\.example is not a Salesforce host/)
    }).pipe(Effect.provide(env())))

  it.scopedLive("with an encryption key, nothing in Redis holds a token in plain text", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const prefix = freshPrefix()
      const provider = yield* processWith(
        { prefix, encryptionKey: Redacted.make("fleet secret") },
        RefreshToken.make({ clientId: app.clientId, refreshToken: Redacted.make(app.refreshToken) })
      )
      const token = yield* provider.get
      const redis = yield* Effect.acquireRelease(
        Effect.sync(() => new Redis(inject("redisUrl"))),
        (r) => Effect.promise(() => r.quit())
      )
      const keys = yield* Effect.promise(() => redis.keys(`${prefix}*`))
      assert.isAbove(keys.length, 0)
      let dump = keys.join("\n")
      for (const key of keys) {
        const type = yield* Effect.promise(() => redis.type(key))
        if (type === "hash") dump += JSON.stringify(yield* Effect.promise(() => redis.hgetall(key)))
        if (type === "string") dump += (yield* Effect.promise(() => redis.get(key))) ?? ""
      }
      const secrets = [
        Redacted.value(token.value),
        app.refreshToken,
        ...(yield* control.sessions).map((s) => s.token),
        ...(yield* control.refreshTokens).map((t) => t.token)
      ]
      for (const secret of secrets) assert.notInclude(dump, secret)
    }).pipe(Effect.provide(env({ refreshTokenRotation: true }))))

  it.scopedLive("Redis unreachable: client credentials acquire in-process; a refresh token fails closed", () =>
    Effect.gen(function*() {
      const gone = { url: "redis://127.0.0.1:1", commandTimeout: Duration.millis(300) }
      const bus = yield* SalesforceEvents.SalesforceEvents
      const seen = yield* bus.subscribe
      const cc = yield* processWith(gone, ClientCredentials.make({ clientId: app.clientId, clientSecret: Redacted.make(app.clientSecret) }))
      assert.isDefined(yield* cc.get)
      const rt = yield* processWith(gone, RefreshToken.make({ clientId: app.clientId, refreshToken: Redacted.make(app.refreshToken) }))
      const error = yield* Effect.flip(rt.get)
      assert.strictEqual(error._tag, "TokenStoreError")
      assert.strictEqual(yield* grants("refresh_token"), 0)
      // each is announced, with the policy that applied
      const unavailable = (yield* Queue.takeAll(seen)).pipe(Chunk.toArray).filter(SalesforceEvent.$is("TokenStoreUnavailable"))
      assert.deepStrictEqual(unavailable.map((e) => [e.authMethod, e.policy]), [["ClientCredentials", "local"], ["RefreshToken", "fail"]])
      assert.notInclude(unavailable.map(String).join("\n"), app.refreshToken)
    }).pipe(Effect.provide(env())))
})
