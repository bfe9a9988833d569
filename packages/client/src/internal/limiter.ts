/**
 * A FIFO concurrency limit: permits in a bounded `Queue`, each waiter woken exactly once.
 *
 * Effect 3's `Semaphore` wakes every waiter on each release (they re-check and go back to
 * sleep), which is quadratic: with 1,000 requests queued behind a limit of 100 it cost
 * seconds of CPU. This one is O(1) per request.
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"

/** @internal */
export interface Limiter {
  readonly withPermit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** @internal */
export const make = (permits: number): Effect.Effect<Limiter> =>
  Effect.gen(function*() {
    const queue = yield* Queue.bounded<void>(permits)
    yield* Queue.offerAll(queue, Array.from({ length: permits }, () => undefined))
    const release = Queue.offer(queue, undefined)
    return {
      // waiting for a permit is interruptible; once one is taken it is always given back
      withPermit: (effect) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.zipRight(restore(Queue.take(queue)), Effect.ensuring(restore(effect), release))
        )
    }
  })
