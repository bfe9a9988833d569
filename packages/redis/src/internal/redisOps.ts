/**
 * The Redis operations of one store entry, as effects: read the entry, take, renew and release
 * the lease lock, write at a version, and wait for the holder's result. Each command is bounded
 * by a timeout (a Redis that hangs or is gone fails fast with `StoreUnavailable`, nothing waits
 * forever); the scripts are in `scripts.ts`.
 * @internal
 */
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { Redis } from "ioredis"
import * as Scripts from "./scripts.js"

/** A failure to talk to Redis (down, timed out, refused a command). @internal */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{
  readonly operation: string
  readonly detail: string
}> {}

/** The three Redis keys of one entry, in one hash slot (so scripts work on Redis Cluster). @internal */
export interface Keys {
  readonly entry: string
  readonly lock: string
  readonly channel: string
}

/** @internal */
export const keys = (prefix: string, id: string): Keys => ({
  entry: `${prefix}{${id}}:entry`,
  lock: `${prefix}{${id}}:lock`,
  channel: `${prefix}{${id}}:settled`
})

/** The raw stored entry: its version and the (possibly sealed) data, `undefined` when empty. @internal */
export interface Raw {
  readonly version: number
  readonly data: string | undefined
}

/** @internal */
export interface Ops {
  readonly read: Effect.Effect<Raw, StoreUnavailable>
  /** Take the lock under `holder` for `lease`; `false` when someone else holds it. */
  readonly tryLock: (holder: string, lease: Duration.Duration) => Effect.Effect<boolean, StoreUnavailable>
  readonly renew: (holder: string, lease: Duration.Duration) => Effect.Effect<boolean, StoreUnavailable>
  readonly release: (holder: string) => Effect.Effect<boolean, StoreUnavailable>
  readonly isLocked: Effect.Effect<boolean, StoreUnavailable>
  /** Write at `expected`; the new version, or `"LockLost"` / `"Conflict"`. */
  readonly write: (
    holder: string,
    expected: number,
    data: string | undefined,
    ttl: Duration.Duration | undefined
  ) => Effect.Effect<number | "LockLost" | "Conflict", StoreUnavailable>
}

/** @internal */
export const make = (redis: Redis, k: Keys, commandTimeout: Duration.Duration): Ops => {
  const run = <A>(operation: string, f: () => Promise<A>): Effect.Effect<A, StoreUnavailable> =>
    Effect.tryPromise({
      try: f,
      catch: (error) => new StoreUnavailable({ operation, detail: (error instanceof Error ? error.message : String(error)).slice(0, 200) })
    }).pipe(
      Effect.timeoutFail({
        duration: commandTimeout,
        onTimeout: () => new StoreUnavailable({ operation, detail: `no answer in ${Duration.format(commandTimeout)}` })
      })
    )
  const ms = (d: Duration.Duration) => String(Math.max(1, Math.ceil(Duration.toMillis(d))))
  return {
    read: run("read", () => redis.hmget(k.entry, "version", "data")).pipe(
      Effect.map(([version, data]) => ({ version: Number(version ?? "0"), data: data ?? undefined }))
    ),
    tryLock: (holder, lease) =>
      Effect.map(run("lock", () => redis.set(k.lock, holder, "PX", ms(lease), "NX")), (reply) => reply === "OK"),
    renew: (holder, lease) =>
      Effect.map(run("renew", () => redis.eval(Scripts.renew, 1, k.lock, holder, ms(lease))), (reply) => reply === 1),
    release: (holder) =>
      Effect.map(
        run("release", () => redis.eval(Scripts.release, 1, k.lock, holder, k.channel, "settled")),
        (reply) => reply === 1
      ),
    isLocked: Effect.map(run("read", () => redis.exists(k.lock)), (n) => n === 1),
    write: (holder, expected, data, ttl) =>
      Effect.map(
        run("write", () =>
          redis.eval(Scripts.write, 2, k.entry, k.lock, holder, String(expected), data ?? "", ttl === undefined ? "0" : ms(ttl))),
        (reply) => (reply === -1 ? "LockLost" : reply === -2 ? "Conflict" : Number(reply))
      )
  }
}

/**
 * Wake-ups for waiters: one subscriber connection per store, fanning `settled` messages out to
 * the waiters of each channel in this process. A missed message only costs a poll interval.
 * @internal
 */
export interface Notifier {
  /** Resolves on the next message on `channel`, or after `poll`, whichever is first. */
  readonly next: (channel: string, poll: Duration.Duration) => Effect.Effect<void>
}

/** @internal */
export const notifier = (subscriber: Redis) =>
  Effect.gen(function*() {
    const waiters = new Map<string, Set<Deferred.Deferred<void>>>()
    const subscribed = new Set<string>()
    const onMessage = (channel: string) => {
      const set = waiters.get(channel)
      if (set === undefined) return
      waiters.delete(channel)
      for (const deferred of set) Deferred.unsafeDone(deferred, Effect.void)
    }
    subscriber.on("message", onMessage)
    yield* Effect.addFinalizer(() => Effect.sync(() => subscriber.off("message", onMessage)))
    const ensureSubscribed = (channel: string) =>
      subscribed.has(channel)
        ? Effect.void
        : Effect.tryPromise(() => subscriber.subscribe(channel)).pipe(
          Effect.tap(() => Effect.sync(() => subscribed.add(channel))),
          Effect.timeout("1 second"),
          Effect.ignore
        )
    const next = (channel: string, poll: Duration.Duration): Effect.Effect<void> =>
      Effect.gen(function*() {
        yield* ensureSubscribed(channel)
        const deferred = yield* Deferred.make<void>()
        let set = waiters.get(channel)
        if (set === undefined) waiters.set(channel, (set = new Set()))
        set.add(deferred)
        yield* Deferred.await(deferred).pipe(
          Effect.timeout(poll),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => set.delete(deferred)))
        )
      })
    return { next } satisfies Notifier
  })
