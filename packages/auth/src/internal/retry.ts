import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import type { Policy, RetryInfo } from "../RetryPolicy.js"

/** @internal */
export const retryAfterOf = (error: unknown): Option.Option<number> =>
  Predicate.hasProperty(error, "retryAfterMillis") && typeof error.retryAfterMillis === "number"
    ? Option.some(error.retryAfterMillis)
    : Option.none()

/**
 * `Effect.retry` over the policy's schedule, with `Schedule`'s public API only: the schedule's
 * delay is stretched to the server's `Retry-After` and announced (`onRetry`) before the wait,
 * through `Schedule.modifyDelayEffect`, which runs only when the schedule goes on. A failure that
 * is not transient, or asks for a longer wait than `maxRetryAfter`, ends the loop at once.
 * @internal
 */
export const retry = <A, E, R, R2>(
  effect: Effect.Effect<A, E, R>,
  policy: Policy,
  onRetry: (info: RetryInfo<E>) => Effect.Effect<void, never, R2>
): Effect.Effect<A, E, R | R2> =>
  Effect.suspend(() => {
    let last: E | undefined
    let attempt = 0
    const maxRetryAfter = Duration.toMillis(policy.maxRetryAfter)
    // the transient check first: the delay (and `onRetry`) is only worked out for a retry that will happen
    const schedule = Schedule.modifyDelayEffect(
      Schedule.whileInput(policy.schedule, (error: E) =>
        policy.isTransient(error) && Option.getOrElse(retryAfterOf(error), () => 0) <= maxRetryAfter),
      (_, delay) =>
      Effect.suspend(() => {
        const error = last as E
        const retryAfter = Option.getOrElse(retryAfterOf(error), () => 0)
        const wait = Duration.millis(Math.max(Duration.toMillis(delay), retryAfter))
        attempt += 1
        return Effect.as(onRetry({ attempt, delay: wait, error }), wait)
      })
    )
    return Effect.retry(
      Effect.tapError(effect, (error) =>
        Effect.sync(() => {
          last = error
        })),
      schedule
    )
  })
