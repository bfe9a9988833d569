/**
 * The token cache behind every `TokenProvider`: one `Ref` holding the current token, the
 * in-flight acquisition and the remembered failure, moved by pure transitions
 * (`Ref.modify`). All the rules of ARCHITECTURE.md "TokenProvider semantics" live here.
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import type { AccessToken } from "../AccessToken.js"
import * as AT from "../AccessToken.js"
import type { AuthError } from "../AuthError.js"
import type { RefreshTrigger } from "../SalesforceEvent.js"

/** @internal */
export type Trigger = RefreshTrigger | "initial"

/** @internal */
export interface State {
  readonly token: AccessToken | undefined
  /** `Effect.succeed(token)`, kept so that a cache hit allocates nothing. */
  readonly hit: Effect.Effect<AccessToken> | undefined
  readonly pending: Deferred.Deferred<AccessToken, AuthError> | undefined
  readonly cooldown: { readonly error: AuthError; readonly until: number } | undefined
}

/** What a caller asks of the cache. */
type Request =
  | { readonly _tag: "Get" }
  | { readonly _tag: "Refresh"; readonly stale: AccessToken | undefined }
  | { readonly _tag: "Proactive"; readonly expected: AccessToken }

type Action =
  | { readonly _tag: "Hit"; readonly token: AccessToken }
  | { readonly _tag: "Wait"; readonly deferred: Deferred.Deferred<AccessToken, AuthError> }
  | { readonly _tag: "Fail"; readonly error: AuthError }
  | { readonly _tag: "Skip" }
  | { readonly _tag: "Start"; readonly trigger: Trigger; readonly previous: AccessToken | undefined }

const empty: State = { token: undefined, hit: undefined, pending: undefined, cooldown: undefined }

/** @internal */
export interface CacheOptions {
  /** Runs one acquisition (retries, timeout and events included); `previous` is the token being replaced. */
  readonly run: (trigger: Trigger, previous: AccessToken | undefined) => Effect.Effect<AccessToken, AuthError>
  /** Told of every settled acquisition, after the state is updated. */
  readonly settled: (trigger: Trigger, previous: AccessToken | undefined, exit: Exit.Exit<AccessToken, AuthError>) => Effect.Effect<void>
  readonly marginMillis: number
  readonly cooldownMillis: number
  /** Is this failure a definite "no" to remember for the cool-down? */
  readonly isDefinite: (error: AuthError) => boolean
  readonly scope: Scope.Scope
}

/** @internal */
export interface TokenCache {
  readonly get: Effect.Effect<AccessToken, AuthError>
  readonly refresh: (stale?: AccessToken) => Effect.Effect<AccessToken, AuthError>
  readonly invalidate: Effect.Effect<void>
  /** Refresh `expected` ahead of time; succeeds with `false` when it was replaced meanwhile. */
  readonly proactive: (expected: AccessToken) => Effect.Effect<boolean, AuthError>
  readonly current: Effect.Effect<AccessToken | undefined>
}

/** @internal */
export const make = (options: CacheOptions): Effect.Effect<TokenCache> =>
  Effect.map(Effect.zip(Ref.make<State>(empty), Effect.clock), ([state, clock]) => {
    const { cooldownMillis, marginMillis } = options
    // Every transition goes through the Ref; `snapshot` mirrors its value so that a cache hit
    // is one synchronous read, with no extra effect to run.
    let snapshot: State = empty
    const modify = <B>(f: (s: State) => readonly [B, State]) =>
      Ref.modify(state, (s) => {
        const [b, next] = f(s)
        snapshot = next
        return [b, next] as const
      })
    const update = (f: (s: State) => State) => modify((s) => [undefined, f(s)] as const)
    const usable = (token: AccessToken, now: number) =>
      token.expiresAt._tag === "None" || token.expiresAt.value.epochMillis - marginMillis > now
    const alive = (token: AccessToken, now: number) =>
      token.expiresAt._tag === "None" || token.expiresAt.value.epochMillis > now

    const decide = (s: State, request: Request, now: number): readonly [Action, State] => {
      const cooling = s.cooldown !== undefined && now < s.cooldown.until
      switch (request._tag) {
        case "Get": {
          if (s.token !== undefined && usable(s.token, now)) return [{ _tag: "Hit", token: s.token }, s]
          if (s.pending !== undefined) return [{ _tag: "Wait", deferred: s.pending }, s]
          if (cooling) return [{ _tag: "Fail", error: s.cooldown!.error }, s]
          return [{ _tag: "Start", trigger: s.token === undefined ? "initial" : "expired", previous: s.token }, s]
        }
        case "Refresh": {
          const { stale } = request
          // invalidate-if-same: a newer token is already cached, hand it out without I/O
          if (stale !== undefined && s.token !== undefined && !AT.sameValue(s.token, stale) && usable(s.token, now)) {
            return [{ _tag: "Hit", token: s.token }, s]
          }
          if (s.pending !== undefined) return [{ _tag: "Wait", deferred: s.pending }, s]
          if (cooling) return [{ _tag: "Fail", error: s.cooldown!.error }, s]
          const previous = s.token ?? stale
          // a rejected token is never served again
          const next = stale === undefined ? s : { ...s, token: undefined, hit: undefined }
          return [{ _tag: "Start", trigger: stale === undefined ? "manual" : "rejected", previous }, next]
        }
        case "Proactive": {
          if (s.token === undefined || !AT.sameValue(s.token, request.expected)) return [{ _tag: "Skip" }, s]
          if (s.pending !== undefined) return [{ _tag: "Wait", deferred: s.pending }, s]
          if (cooling) return [{ _tag: "Fail", error: s.cooldown!.error }, s]
          return [{ _tag: "Start", trigger: "proactive", previous: s.token }, s]
        }
      }
    }

    const settle = (deferred: Deferred.Deferred<AccessToken, AuthError>, trigger: Trigger, previous: AccessToken | undefined) =>
    (exit: Exit.Exit<AccessToken, AuthError>) =>
      Effect.suspend(() => {
        const now = clock.unsafeCurrentTimeMillis()
        return update((s): State => {
          if (s.pending !== deferred) return s
          if (Exit.isSuccess(exit)) {
            return { token: exit.value, hit: Effect.succeed(exit.value), pending: undefined, cooldown: undefined }
          }
          // keep an old token only while it still works: proactive failures must not cut service
          const keep = s.token !== undefined && alive(s.token, now)
          const error = Option.getOrUndefined(Cause.failureOption(exit.cause))
          return {
            token: keep ? s.token : undefined,
            hit: keep ? s.hit : undefined,
            pending: undefined,
            cooldown: error !== undefined && options.isDefinite(error) && cooldownMillis > 0
              ? { error, until: now + cooldownMillis }
              : s.cooldown
          }
        })
      }).pipe(
          // events first, so a caller that got its token can already see them on the bus
          Effect.zipRight(options.settled(trigger, previous, exit)),
          Effect.zipRight(Deferred.done(deferred, exit))
        )

    /** Runs a request; `undefined` only for a skipped proactive refresh. */
    const perform = (request: Request): Effect.Effect<AccessToken | undefined, AuthError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const now = clock.unsafeCurrentTimeMillis()
          const fiberId = yield* Effect.fiberId
          let fresh: Deferred.Deferred<AccessToken, AuthError> | undefined
          const action = yield* modify((s): readonly [Action, State] => {
            const [action, next] = decide(s, request, now)
            if (action._tag !== "Start") return [action, next]
            fresh = Deferred.unsafeMake<AccessToken, AuthError>(fiberId)
            return [action, { ...next, pending: fresh }]
          })
          switch (action._tag) {
            case "Hit":
              return action.token
            case "Fail":
              return yield* Effect.fail(action.error)
            case "Skip":
              return undefined
            case "Wait":
              return yield* restore(Deferred.await(action.deferred))
            case "Start": {
              // The acquisition belongs to the provider's scope: interrupting this caller only stops its
              // wait. The fiber starts uninterruptible (inherited), so `settle` is installed before the
              // scope can interrupt it: waiters are always released, even if the scope is already closed.
              const deferred = fresh!
              yield* options.run(action.trigger, action.previous).pipe(
                Effect.interruptible,
                Effect.onExit(settle(deferred, action.trigger, action.previous)),
                Effect.forkIn(options.scope)
              )
              return yield* restore(Deferred.await(deferred))
            }
          }
        })
      )

    const toToken = (result: AccessToken | undefined): AccessToken => result!

    const slowGet = Effect.map(perform({ _tag: "Get" }), toToken)
    const get: Effect.Effect<AccessToken, AuthError> = Effect.suspend(() => {
      const s = snapshot
      return s.hit !== undefined && usable(s.token!, clock.unsafeCurrentTimeMillis()) ? s.hit : slowGet
    })

    return {
      get,
      refresh: (stale) => Effect.map(perform({ _tag: "Refresh", stale }), toToken),
      invalidate: update((s) => ({ ...s, token: undefined, hit: undefined, cooldown: undefined })),
      proactive: (expected) =>
        Effect.map(perform({ _tag: "Proactive", expected }), (result) => result !== undefined),
      current: Effect.map(Ref.get(state), (s) => s.token)
    }
  })

/** @internal */
export const millis = (d: Duration.DurationInput): number => Duration.toMillis(Duration.decode(d))
