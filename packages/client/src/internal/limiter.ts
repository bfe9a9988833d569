/**
 * A FIFO concurrency limit: a count of free permits and a queue of waiters, each woken exactly
 * once, O(1) per request.
 *
 * Effect 3's `Semaphore` wakes every waiter on each release (they re-check and go back to
 * sleep), which is quadratic: with 1,000 requests queued behind a limit of 100 it cost
 * seconds of CPU. A `Queue` of permits (the previous design) loses a permit when a waiter is
 * interrupted in the same turn as a permit is handed to it: `Queue.take` has already removed
 * the permit for the waiter, and the interrupted waiter never gives it back. Here a release
 * marks the waiter it picks as granted; a waiter that is interrupted after that passes the
 * permit on, and one interrupted before it is skipped.
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"

/** @internal */
export interface Limiter {
  readonly withPermit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

interface Waiter {
  readonly wake: Deferred.Deferred<void>
  /** A permit was handed to this waiter: it owns it now. */
  granted: boolean
  /** Interrupted before a permit reached it: skip it. */
  cancelled: boolean
}

/** @internal */
export const make = (permits: number): Effect.Effect<Limiter> =>
  Effect.sync(() => {
    let free = permits
    // a FIFO queue: an array read from `head`, compacted when half of it has been read
    let waiters: Array<Waiter> = []
    let head = 0

    /** Hand the permit to the first waiter still waiting, or keep it free. Synchronous. */
    const releaseNow = (): void => {
      while (head < waiters.length) {
        const waiter = waiters[head]!
        waiters[head] = undefined as unknown as Waiter
        head += 1
        if (head > 1024 && head * 2 > waiters.length) {
          waiters = waiters.slice(head)
          head = 0
        }
        if (waiter.cancelled) continue
        waiter.granted = true
        Deferred.unsafeDone(waiter.wake, Exit.void)
        return
      }
      free += 1
    }
    const release = Effect.sync(releaseNow)

    const acquire: Effect.Effect<void> = Effect.suspend(() => {
      if (free > 0 && head === waiters.length) {
        free -= 1
        return Effect.void
      }
      const waiter: Waiter = { wake: Deferred.unsafeMake<void>(FiberId.none), granted: false, cancelled: false }
      waiters.push(waiter)
      return Effect.onInterrupt(Deferred.await(waiter.wake), () =>
        Effect.sync(() => {
          // handed a permit in the same turn as the interruption: pass it on, never drop it
          if (waiter.granted) releaseNow()
          else waiter.cancelled = true
        }))
    })

    return {
      // waiting for a permit is interruptible; once one is taken it is always given back
      withPermit: (effect) =>
        Effect.uninterruptibleMask((restore) => Effect.zipRight(restore(acquire), Effect.ensuring(restore(effect), release)))
    }
  })
