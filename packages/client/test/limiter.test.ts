/**
 * The FIFO concurrency limiter on its own: no permit is ever lost, whatever turn a waiter is
 * interrupted in, and waiters are served in order.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Limiter from "../src/internal/limiter.js"

const turns = (n: number) => Effect.repeatN(Effect.yieldNow(), Math.max(0, n - 1)).pipe(Effect.when(() => n > 0))

/** Do `permits` new holders all get a permit (within a few turns)? They are interrupted after. */
const allPermitsFree = (limiter: Limiter.Limiter, permits: number) =>
  Effect.gen(function*() {
    let inside = 0
    const holders = yield* Effect.forEach(
      Array.from({ length: permits }),
      () => Effect.fork(limiter.withPermit(Effect.zipRight(Effect.sync(() => inside++), Effect.never)))
    )
    yield* turns(20)
    yield* Fiber.interruptAll(holders)
    return inside === permits
  })

describe("Limiter", () => {
  it.effect("a waiter interrupted in the same turn as a permit is handed to it loses no permit (every interleaving, many times)", () =>
    Effect.gen(function*() {
      let rounds = 0
      for (let repeat = 0; repeat < 20; repeat++) {
        for (let before = 0; before <= 4; before++) {
          for (const permits of [1, 2, 3]) {
            rounds += 1
            const limiter = yield* Limiter.make(permits)
            const gate = yield* Deferred.make<void>()
            // every permit held until the gate opens
            const holders = yield* Effect.forEach(
              Array.from({ length: permits }),
              () => Effect.fork(limiter.withPermit(Deferred.await(gate)))
            )
            yield* turns(3)
            const waiter = yield* Effect.fork(limiter.withPermit(Effect.void))
            yield* turns(3)
            // the holders release (each hands its permit to a waiter) while the waiter is interrupted
            yield* Deferred.succeed(gate, undefined)
            yield* turns(before)
            yield* Fiber.interrupt(waiter)
            yield* Fiber.joinAll(holders)
            assert.isTrue(yield* allPermitsFree(limiter, permits), `permits=${permits} interrupted after ${before} turns`)
          }
        }
      }
      assert.strictEqual(rounds, 300)
    }))

  it.effect("waiters interrupted while queued are skipped; the rest are served in order", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.make(1)
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(limiter.withPermit(Deferred.await(gate)))
      yield* turns(2)
      const order: Array<number> = []
      const waiters = yield* Effect.forEach(
        Array.from({ length: 6 }, (_, i) => i),
        (i) => Effect.zipLeft(Effect.fork(limiter.withPermit(Effect.sync(() => order.push(i)))), turns(1))
      )
      yield* Fiber.interrupt(waiters[1]!)
      yield* Fiber.interrupt(waiters[4]!)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      for (const i of [0, 2, 3, 5]) yield* Fiber.join(waiters[i]!)
      assert.deepStrictEqual(order, [0, 2, 3, 5])
      assert.isTrue(yield* allPermitsFree(limiter, 1))
    }))

  it.effect("a permit is given back when the effect fails, dies or is interrupted", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.make(2)
      yield* Effect.exit(limiter.withPermit(Effect.fail("no")))
      yield* Effect.exit(limiter.withPermit(Effect.die("boom")))
      const running = yield* Effect.fork(limiter.withPermit(Effect.never))
      yield* turns(2)
      yield* Fiber.interrupt(running)
      assert.isTrue(yield* allPermitsFree(limiter, 2))
    }))
})
