import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import type { Policy, RetryInfo } from "../RetryPolicy.js"

/** @internal */
export const retryAfterOf = (error: unknown): Option.Option<number> =>
  Predicate.hasProperty(error, "retryAfterMillis") && typeof error.retryAfterMillis === "number"
    ? Option.some(error.retryAfterMillis)
    : Option.none()

/**
 * Steps the policy's schedule by hand (rather than `Effect.retry`) so that each retry can be
 * announced with its delay before the wait, and so that `Retry-After` can stretch a delay.
 * @internal
 */
export const retry = <A, E, R, R2>(
  effect: Effect.Effect<A, E, R>,
  policy: Policy,
  onRetry: (info: RetryInfo<E>) => Effect.Effect<void, never, R2>
): Effect.Effect<A, E, R | R2> =>
  Effect.suspend(() => {
    let state: unknown = policy.schedule.initial
    let attempt = 0
    const loop: Effect.Effect<A, E, R | R2> = Effect.flatMap(Effect.exit(effect), (exit) => {
      if (Exit.isSuccess(exit)) return exit
      const failure = Cause.failureOption(exit.cause)
      if (Option.isNone(failure) || !policy.isTransient(failure.value)) return exit
      const error = failure.value
      return Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.flatMap(policy.schedule.step(now, error, state), ([next, , decision]) => {
          if (ScheduleDecision.isDone(decision)) return exit
          const retryAfter = retryAfterOf(error)
          if (Option.isSome(retryAfter) && retryAfter.value > Duration.toMillis(policy.maxRetryAfter)) return exit
          const scheduled = Math.max(0, ScheduleIntervals.start(decision.intervals) - now)
          const delay = Duration.millis(Math.max(scheduled, Option.getOrElse(retryAfter, () => 0)))
          state = next
          attempt += 1
          return onRetry({ attempt, delay, error }).pipe(
            Effect.zipRight(Effect.sleep(delay)),
            Effect.zipRight(loop)
          )
        }))
    })
    return loop
  })
