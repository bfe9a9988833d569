/**
 * The token cache behind every `TokenProvider`: one `Ref` holding plain data (the current token
 * and what is known about it, the acquisition in flight, the remembered failure, the planned
 * background refresh), moved only by the pure transitions below. All the rules of
 * ARCHITECTURE.md "TokenProvider semantics" live here; the effectful shell at the bottom runs
 * what the transitions decide.
 *
 * A store shared across processes replaces the `Ref` and the rendezvous of waiters, not these
 * transitions.
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { AccessToken } from "../AccessToken.js"
import * as AT from "../AccessToken.js"
import type { AuthError } from "../AuthError.js"
import type { RefreshTrigger } from "../SalesforceEvent.js"

/** @internal */
export type Trigger = RefreshTrigger | "initial"

/**
 * The least time between two acquisitions a provider starts on its own initiative (background
 * refreshes and their retries), whatever the token's lifetime: a server that hands out
 * seconds-long sessions cannot drive a login loop.
 * @internal
 */
export const minimumRefreshIntervalMillis = 5_000

/**
 * A server-reported lifetime shorter than four expiry margins shrinks the margin to a quarter of
 * the lifetime, so a short-lived token is still used for most of its life instead of counting as
 * expired on arrival.
 * @internal
 */
export const marginFractionOfLife = 1 / 4

/** The acquisition in flight. `waiters` is where its callers meet its result. @internal */
export interface InFlight {
  readonly trigger: Trigger
  readonly previous: AccessToken | undefined
  readonly waiters: Deferred.Deferred<AccessToken, AuthError>
}

/** @internal */
export interface State {
  readonly token: AccessToken | undefined
  /** Epoch millis from which `token` counts as expired (its expiry minus the margin); `Infinity` when unknown. */
  readonly usableUntil: number
  /** Has a caller received `token`? A token nobody asked for is not refreshed in the background. */
  readonly used: boolean
  /** Epoch millis at which the background refresh of `token` is due; `undefined` when none is planned. */
  readonly refreshAt: number | undefined
  readonly inFlight: InFlight | undefined
  /** A definite "no", answered again without I/O until `until`. */
  readonly cooldown: { readonly error: AuthError; readonly until: number } | undefined
}

/** @internal */
export const empty: State = {
  token: undefined,
  usableUntil: 0,
  used: false,
  refreshAt: undefined,
  inFlight: undefined,
  cooldown: undefined
}

/** The fixed rules a cache runs with. @internal */
export interface Policy {
  readonly marginMillis: number
  readonly cooldownMillis: number
  /** `undefined`: no background refresh. */
  readonly proactive: { readonly aheadMillis: number } | undefined
  /** Is this failure a definite "no" to remember for the cool-down? */
  readonly isDefinite: (error: AuthError) => boolean
}

/** What a caller asks of the cache. @internal */
export type Request =
  | { readonly _tag: "Get" }
  | { readonly _tag: "Refresh"; readonly stale: AccessToken | undefined }
  | { readonly _tag: "Proactive"; readonly expected: AccessToken }

/** What the caller does next. `Start`: run a new acquisition, whose waiters are in the new state. @internal */
export type Action =
  | { readonly _tag: "Hit"; readonly token: AccessToken }
  | { readonly _tag: "Wait"; readonly waiters: Deferred.Deferred<AccessToken, AuthError> }
  | { readonly _tag: "Fail"; readonly error: AuthError }
  | { readonly _tag: "Skip" }
  | { readonly _tag: "Start"; readonly inFlight: InFlight }

/** The margin a token gets: the configured one, at most a fraction of the token's life. @internal */
export const marginFor = (token: AccessToken, marginMillis: number): number => {
  const expiresAt = AT.expiresAtMillis(token)
  if (expiresAt === undefined) return marginMillis
  const life = Math.max(0, expiresAt - token.issuedAt.epochMillis)
  return Math.min(marginMillis, life * marginFractionOfLife)
}

/** @internal */
export const usableUntil = (token: AccessToken, marginMillis: number): number => {
  const expiresAt = AT.expiresAtMillis(token)
  return expiresAt === undefined ? Number.POSITIVE_INFINITY : expiresAt - marginFor(token, marginMillis)
}

/**
 * When to refresh `token` in the background, received at `now`: `ahead` before it counts as
 * expired, but not before half its usable life has passed, and never sooner than
 * {@link minimumRefreshIntervalMillis} after it arrived.
 * @internal
 */
export const refreshPoint = (token: AccessToken, now: number, marginMillis: number, aheadMillis: number): number => {
  const until = usableUntil(token, marginMillis)
  const issuedAt = token.issuedAt.epochMillis
  return Math.max(until - aheadMillis, issuedAt + (until - issuedAt) / 2, now + minimumRefreshIntervalMillis)
}

const alive = (token: AccessToken, now: number) => {
  const expiresAt = AT.expiresAtMillis(token)
  return expiresAt === undefined || expiresAt > now
}

const start = (
  s: State,
  trigger: Trigger,
  previous: AccessToken | undefined,
  waiters: Deferred.Deferred<AccessToken, AuthError>
): readonly [Action, State] => {
  const inFlight: InFlight = { trigger, previous, waiters }
  return [{ _tag: "Start", inFlight }, { ...s, inFlight, refreshAt: undefined }]
}

/**
 * The decision for one request at `now`. `waiters` is used only if a new acquisition starts.
 * @internal
 */
export const decide = (
  s: State,
  request: Request,
  now: number,
  waiters: Deferred.Deferred<AccessToken, AuthError>
): readonly [Action, State] => {
  const cooling = s.cooldown !== undefined && now < s.cooldown.until ? s.cooldown : undefined
  const hit = (token: AccessToken): readonly [Action, State] => [{ _tag: "Hit", token }, s.used ? s : { ...s, used: true }]
  switch (request._tag) {
    case "Get": {
      if (s.token !== undefined && now < s.usableUntil) return hit(s.token)
      if (s.inFlight !== undefined) return [{ _tag: "Wait", waiters: s.inFlight.waiters }, s]
      if (cooling !== undefined) return [{ _tag: "Fail", error: cooling.error }, s]
      return start(s, s.token === undefined ? "initial" : "expired", s.token, waiters)
    }
    case "Refresh": {
      const { stale } = request
      // invalidate-if-same: a newer token is already cached, hand it out without I/O
      if (stale !== undefined && s.token !== undefined && !AT.sameValue(s.token, stale) && now < s.usableUntil) {
        return hit(s.token)
      }
      if (s.inFlight !== undefined) return [{ _tag: "Wait", waiters: s.inFlight.waiters }, s]
      if (cooling !== undefined) return [{ _tag: "Fail", error: cooling.error }, s]
      // a rejected token is never served again
      const next: State = stale === undefined ? s : { ...s, token: undefined, usableUntil: 0, used: false }
      return start(next, stale === undefined ? "manual" : "rejected", s.token ?? stale, waiters)
    }
    case "Proactive": {
      if (s.token === undefined || !AT.sameValue(s.token, request.expected)) return [{ _tag: "Skip" }, s]
      if (s.inFlight !== undefined) return [{ _tag: "Wait", waiters: s.inFlight.waiters }, s]
      if (cooling !== undefined) return [{ _tag: "Fail", error: cooling.error }, s]
      return start(s, "proactive", s.token, waiters)
    }
  }
}

/** The state once the acquisition `inFlight` ended with `exit` at `now`. @internal */
export const settle = (
  s: State,
  inFlight: InFlight,
  exit: Exit.Exit<AccessToken, AuthError>,
  now: number,
  policy: Policy
): State => {
  if (s.inFlight !== inFlight) return s
  if (Exit.isSuccess(exit)) {
    const token = exit.value
    const known = AT.expiresAtMillis(token) !== undefined
    return {
      token,
      usableUntil: usableUntil(token, policy.marginMillis),
      // the caller that asked for it gets it; a background refresh's token waits for a caller
      used: inFlight.trigger !== "proactive",
      refreshAt: policy.proactive !== undefined && known
        ? refreshPoint(token, now, policy.marginMillis, policy.proactive.aheadMillis)
        : undefined,
      inFlight: undefined,
      cooldown: undefined
    }
  }
  // keep an old token only while it still works: proactive failures must not cut service
  const keep = s.token !== undefined && alive(s.token, now)
  const error = Option.getOrUndefined(Cause.failureOption(exit.cause))
  return {
    ...(keep ? s : { ...s, token: undefined, usableUntil: 0, used: false }),
    refreshAt: undefined,
    inFlight: undefined,
    cooldown: error !== undefined && policy.isDefinite(error) && policy.cooldownMillis > 0
      ? { error, until: now + policy.cooldownMillis }
      : s.cooldown
  }
}

/** Forget the token and any remembered failure; an acquisition in flight still lands. @internal */
export const invalidate = (s: State): State => ({
  ...s,
  token: undefined,
  usableUntil: 0,
  used: false,
  refreshAt: undefined,
  cooldown: undefined
})

/**
 * Take the background refresh that is due at `now`: the token to refresh, or `undefined` when
 * none is due or nobody used the token (an idle provider does not keep logging in). A due plan
 * is always consumed, so it runs at most once.
 * @internal
 */
export const takeDue = (s: State, now: number): readonly [AccessToken | undefined, State] => {
  if (s.refreshAt === undefined || s.refreshAt > now) return [undefined, s]
  return [s.used ? s.token : undefined, { ...s, refreshAt: undefined }]
}

// ---------------------------------------------------------------------------------------------
// The effectful shell

/** @internal */
export interface CacheOptions extends Policy {
  /** Runs one acquisition (retries, timeout and events included); `previous` is the token being replaced. */
  readonly run: (trigger: Trigger, previous: AccessToken | undefined) => Effect.Effect<AccessToken, AuthError>
  /** Told of every settled acquisition, after the state is updated. */
  readonly settled: (
    trigger: Trigger,
    previous: AccessToken | undefined,
    exit: Exit.Exit<AccessToken, AuthError>
  ) => Effect.Effect<void>
  /** Spaces retries of a failed background refresh (floored at {@link minimumRefreshIntervalMillis}). */
  readonly retrySchedule: Schedule.Schedule<unknown, unknown>
  readonly scope: Scope.Scope
}

/** @internal */
export interface TokenCache {
  readonly get: Effect.Effect<AccessToken, AuthError>
  readonly refresh: (stale?: AccessToken) => Effect.Effect<AccessToken, AuthError>
  readonly invalidate: Effect.Effect<void>
}

/**
 * Build a cache; with `proactive` set, its background refresh runs in `scope`.
 * @internal
 */
export const make = (options: CacheOptions): Effect.Effect<TokenCache> =>
  Effect.gen(function*() {
    const state = yield* Ref.make<State>(empty)
    const clock = yield* Effect.clock
    // The Ref is the truth and every write goes through `modify`, which keeps a read-only copy of
    // the last state written and `Effect.succeed` of its token: a warm `get` is then one
    // synchronous read with nothing to allocate. `npm run bench -- warm`: 1.45x a `Ref.get` with the
    // copy, 2.5x without (a `flatMap` over `Ref.get`), against a target of 1.5x.
    let seen: State = empty
    let hit: Effect.Effect<AccessToken> | undefined
    const modify = <B>(f: (s: State) => readonly [B, State]): Effect.Effect<B> =>
      Ref.modify(state, (s) => {
        const [b, next] = f(s)
        if (next.token !== seen.token) hit = next.token === undefined ? undefined : Effect.succeed(next.token)
        seen = next
        return [b, next]
      })
    const update = (f: (s: State) => State) => modify((s) => [undefined, f(s)] as const)
    // rung when a refresh is planned, so the background fiber looks at the state again
    const planned = yield* Queue.sliding<void>(1)

    const onSettled = (inFlight: InFlight) => (exit: Exit.Exit<AccessToken, AuthError>) =>
      update((s) => settle(s, inFlight, exit, clock.unsafeCurrentTimeMillis(), options)).pipe(
        Effect.zipRight(Exit.isSuccess(exit) ? Queue.offer(planned, undefined) : Effect.void),
        // events first, so a caller that got its token can already see them on the bus
        Effect.zipRight(options.settled(inFlight.trigger, inFlight.previous, exit)),
        Effect.zipRight(Deferred.done(inFlight.waiters, exit))
      )

    /** Runs a request; `undefined` only for a skipped background refresh. */
    const perform = (request: Request): Effect.Effect<AccessToken | undefined, AuthError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const waiters = Deferred.unsafeMake<AccessToken, AuthError>(yield* Effect.fiberId)
          const now = clock.unsafeCurrentTimeMillis()
          const action = yield* modify((s) => decide(s, request, now, waiters))
          switch (action._tag) {
            case "Hit":
              return action.token
            case "Fail":
              return yield* Effect.fail(action.error)
            case "Skip":
              return undefined
            case "Wait":
              return yield* restore(Deferred.await(action.waiters))
            case "Start": {
              // The acquisition belongs to the provider's scope: interrupting this caller only stops its
              // wait. The fiber starts uninterruptible (inherited), so `onSettled` is installed before the
              // scope can interrupt it: waiters are always released, even if the scope is already closed.
              // Its outcome reaches the waiters and the `settled` events, so the fiber itself ends
              // quietly (a failed fiber nobody joins is logged by the runtime).
              yield* options.run(action.inFlight.trigger, action.inFlight.previous).pipe(
                Effect.interruptible,
                Effect.onExit(onSettled(action.inFlight)),
                Effect.exit,
                Effect.forkIn(options.scope)
              )
              return yield* restore(Deferred.await(action.inFlight.waiters))
            }
          }
        })
      )

    const slowGet = Effect.flatMap(
      perform({ _tag: "Get" }),
      (token) => token === undefined ? Effect.dieMessage("TokenCache: a get was skipped") : Effect.succeed(token)
    )
    const get: Effect.Effect<AccessToken, AuthError> = Effect.suspend(() =>
      hit !== undefined && seen.used && clock.unsafeCurrentTimeMillis() < seen.usableUntil ? hit : slowGet
    )
    const refresh = (stale?: AccessToken) =>
      Effect.flatMap(
        perform({ _tag: "Refresh", stale }),
        (token) => token === undefined ? Effect.dieMessage("TokenCache: a refresh was skipped") : Effect.succeed(token)
      )

    if (options.proactive !== undefined) {
      const retrySchedule = Schedule.intersect(
        options.retrySchedule,
        Schedule.spaced(Duration.millis(minimumRefreshIntervalMillis))
      )
      /** Refresh `token` ahead of time, retrying on the schedule while it still works; then callers drive. */
      const refreshAhead = (token: AccessToken) =>
        perform({ _tag: "Proactive", expected: token }).pipe(
          Effect.retry({
            schedule: retrySchedule,
            while: () => Effect.map(Clock.currentTimeMillis, (now) => alive(token, now))
          }),
          Effect.ignore
        )
      const step = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const { refreshAt } = yield* Ref.get(state)
        if (refreshAt === undefined) return yield* Queue.take(planned)
        // a newly planned refresh may be due sooner: wake on either
        if (refreshAt > now) return yield* Effect.race(Effect.sleep(Duration.millis(refreshAt - now)), Queue.take(planned))
        const due = yield* modify((s) => takeDue(s, now))
        if (due !== undefined) yield* refreshAhead(due)
      })
      yield* step.pipe(Effect.forever, Effect.interruptible, Effect.forkIn(options.scope))
    }

    return { get, refresh, invalidate: update(invalidate) }
  })
