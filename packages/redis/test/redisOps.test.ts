import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { Redis } from "ioredis"
import { inject } from "vitest"
import * as Ops from "../src/internal/redisOps.js"
import * as Seal from "../src/internal/seal.js"

const connect = Effect.acquireRelease(
  Effect.sync(() => new Redis(inject("redisUrl"), { lazyConnect: false, maxRetriesPerRequest: 1 })),
  (redis) => Effect.promise(() => redis.quit().catch(() => undefined))
)
let n = 0
const fresh = (redis: Redis) => Ops.make(redis, Ops.keys("test:", `ops-${process.pid}-${++n}`), Duration.seconds(2))
const lease = Duration.seconds(5)

describe("Redis operations of one entry (real redis-server)", () => {
  it.scoped("only one holder gets the lock; only the holder renews or releases it", () =>
    Effect.gen(function*() {
      const ops = fresh(yield* connect)
      assert.isTrue(yield* ops.tryLock("a", lease))
      assert.isFalse(yield* ops.tryLock("b", lease))
      assert.isFalse(yield* ops.renew("b", lease))
      assert.isTrue(yield* ops.renew("a", lease))
      assert.isFalse(yield* ops.release("b"))
      assert.isTrue(yield* ops.isLocked)
      assert.isTrue(yield* ops.release("a"))
      assert.isFalse(yield* ops.isLocked)
      assert.isTrue(yield* ops.tryLock("b", lease))
    }))

  it.scoped("a lease runs out on its own: a holder that died costs at most its lease", () =>
    Effect.gen(function*() {
      const ops = fresh(yield* connect)
      assert.isTrue(yield* ops.tryLock("dead", Duration.millis(150)))
      assert.isFalse(yield* ops.tryLock("next", lease))
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 300)))
      assert.isTrue(yield* ops.tryLock("next", lease))
    }), { timeout: 10_000 })

  it.scoped("writes need the lock and the version that was read", () =>
    Effect.gen(function*() {
      const ops = fresh(yield* connect)
      assert.deepStrictEqual(yield* ops.read, { version: 0, data: undefined })
      assert.strictEqual(yield* ops.write("a", 0, "x", undefined), "LockLost")
      yield* ops.tryLock("a", lease)
      assert.strictEqual(yield* ops.write("a", 0, "one", undefined), 1)
      assert.strictEqual(yield* ops.write("a", 0, "stale", undefined), "Conflict")
      assert.strictEqual(yield* ops.write("a", 1, "two", Duration.seconds(30)), 2)
      assert.deepStrictEqual(yield* ops.read, { version: 2, data: "two" })
      assert.strictEqual(yield* ops.write("a", 2, undefined, undefined), 3)
      assert.deepStrictEqual(yield* ops.read, { version: 3, data: undefined })
      yield* ops.release("a")
      assert.strictEqual(yield* ops.write("a", 3, "late", undefined), "LockLost")
    }))

  it.scopedLive("a release wakes the waiters at once", () =>
    Effect.gen(function*() {
      const redis = yield* connect
      const subscriber = yield* Effect.acquireRelease(
        Effect.sync(() => redis.duplicate()),
        (r) => Effect.promise(() => r.quit().catch(() => undefined))
      )
      const notifier = yield* Ops.notifier(subscriber)
      const k = Ops.keys("test:", `notify-${process.pid}`)
      const ops = Ops.make(redis, k, Duration.seconds(2))
      yield* ops.tryLock("a", lease)
      const started = Date.now()
      const waiter = yield* Effect.fork(notifier.next(k.channel, Duration.seconds(20)))
      yield* Effect.sleep("100 millis")
      yield* ops.release("a")
      yield* Fiber.join(waiter)
      assert.isBelow(Date.now() - started, 10_000) // woken by the message, not by the 20 s poll (a coarse bound, not a timing test)
    }))

  it.effect("a command against a Redis that is gone fails fast with StoreUnavailable", () =>
    Effect.gen(function*() {
      const redis = new Redis("redis://127.0.0.1:1", { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false })
      const ops = Ops.make(redis, Ops.keys("test:", "gone"), Duration.millis(500))
      const error = yield* Effect.flip(ops.read)
      assert.strictEqual(error._tag, "StoreUnavailable")
      redis.disconnect()
    }).pipe(Effect.scoped))
})

describe("sealing", () => {
  it("AES-256-GCM round-trips, binds the key name, and refuses tampering", () => {
    const sealer = Seal.aesGcm("a passphrase")
    const sealed = sealer.seal("00Dxx!secret-token", "k1")
    assert.notInclude(sealed, "secret-token")
    assert.strictEqual(sealer.open(sealed, "k1"), "00Dxx!secret-token")
    assert.isUndefined(sealer.open(sealed, "k2"))
    assert.isUndefined(Seal.aesGcm("another key").open(sealed, "k1"))
    const tampered = sealed.slice(0, -4) + (sealed.endsWith("AAAA") ? "BBBB" : "AAAA")
    assert.isUndefined(sealer.open(tampered, "k1"))
    assert.isUndefined(Seal.plain.open(sealed, "k1"))
  })
})
