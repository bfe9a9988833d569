/**
 * The retry policy shared by token calls and client requests: a `Schedule` that decides how
 * long to wait and when to give up, and a rule that says which errors are worth retrying.
 *
 * It is a `Context.Reference`: it has a default and can be overridden for a whole program with
 * {@link layer}, or for one effect with `Effect.provideService(RetryPolicy, ...)`. It is read
 * when each call runs (a token acquisition, a client request): the policy provided around the
 * call wins, then the one in force when the provider or client was built, then the default.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { isRetryable } from "./AuthError.js"
import * as internal from "./internal/retry.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  /**
   * Fed each transient failure; each recurrence is one retry after the schedule's delay.
   * When it stops, the last error is returned.
   */
  readonly schedule: Schedule.Schedule<unknown, unknown>
  /** Is this failure worth another try? Default: the error's own `isRetryable`. */
  readonly isTransient: (error: unknown) => boolean
  /** The longest server-requested wait (`Retry-After`) honoured; a longer one fails at once. */
  readonly maxRetryAfter: Duration.Duration
}

/**
 * The default schedule: exponential backoff from 250 ms (×2, jittered), each delay capped at
 * 10 s, at most 3 retries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultSchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("250 millis", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(10))),
  Schedule.intersect(Schedule.recurs(3))
)

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Partial<Policy> = {}): Policy => ({
  schedule: options.schedule ?? defaultSchedule,
  isTransient: options.isTransient ?? isRetryable,
  maxRetryAfter: options.maxRetryAfter ?? Duration.minutes(1)
})

/**
 * No retries at all.
 *
 * @since 0.1.0
 * @category constructors
 */
export const none: Policy = make({ schedule: Schedule.stop })

/**
 * The policy in force. Defaults to {@link make}`()`.
 *
 * @since 0.1.0
 * @category services
 */
export class RetryPolicy extends Context.Reference<RetryPolicy>()("@effect-salesforce/auth/RetryPolicy", {
  defaultValue: (): Policy => make()
}) {}

/**
 * The policy provided in the current context (`Effect.provideService(RetryPolicy, ...)`, a
 * {@link layer}), or `fallback` when none was. Read when a call runs: a provider or client
 * built under one policy and called under another uses the caller's.
 *
 * @since 0.1.0
 * @category accessors
 */
export const providedOr = (fallback: Policy): Effect.Effect<Policy> =>
  Effect.contextWith((context: Context.Context<never>) =>
    context.unsafeMap.has(RetryPolicy.key) ? (context.unsafeMap.get(RetryPolicy.key) as Policy) : fallback
  )

/**
 * Replace the policy for everything built or run under this layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Partial<Policy>): Layer.Layer<RetryPolicy> => Layer.succeed(RetryPolicy, make(options))

/**
 * Run `effect`, retrying its transient failures per `policy`. `onRetry` is told about each
 * retry (attempt number, delay, the error) before the wait; it is where `Retry` events come
 * from. When the error carries `retryAfterMillis` (a server's `Retry-After`), the wait is at
 * least that long.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: <A, E, R, R2>(
  effect: Effect.Effect<A, E, R>,
  policy: Policy,
  onRetry: (info: RetryInfo<E>) => Effect.Effect<void, never, R2>
) => Effect.Effect<A, E, R | R2> = internal.retry

/**
 * @since 0.1.0
 * @category models
 */
export interface RetryInfo<E> {
  readonly attempt: number
  readonly delay: Duration.Duration
  readonly error: E
}
