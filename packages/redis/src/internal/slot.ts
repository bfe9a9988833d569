/**
 * One provider's entry on Redis: the distributed single flight, the re-check after the lock,
 * rotation-safe writes and the shared failure, on top of `redisOps.ts`.
 * @internal
 */
import * as AccessToken from "@effect-salesforce/auth/AccessToken"
import { type AuthError, AuthenticationError, TokenStoreError } from "@effect-salesforce/auth/AuthError"
import type { TokenStore } from "@effect-salesforce/auth/TokenStore"
import * as Crypto from "node:crypto"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type { Notifier, Ops, StoreUnavailable } from "./redisOps.js"
import type { Sealer } from "./seal.js"

/** What is stored, as JSON (then sealed). @internal */
interface Data {
  readonly t?: { readonly v: string; readonly u: string; readonly i: number; readonly e: number | null } | undefined
  readonly r?: string | undefined
  readonly f?:
    | { readonly m: string; readonly c: string; readonly d: string; readonly s?: number | undefined; readonly until: number }
    | undefined
}

/** @internal */
export interface Entry {
  readonly version: number
  readonly token: AccessToken.AccessToken | undefined
  readonly refreshToken: Redacted.Redacted<string> | undefined
  readonly failure: { readonly error: AuthenticationError; readonly until: number } | undefined
}

/** @internal */
export interface Settings {
  readonly lease: Duration.Duration
  readonly pollInterval: Duration.Duration
  /** How long an entry without a known expiry (and without a refresh token) is kept. */
  readonly unknownExpiryTtl: Duration.Duration
}

const isTime = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0
const isText = (u: unknown): u is string => typeof u === "string"

/** The shape a holder writes, checked before use: a store is shared, its content is input. */
const wellFormed = (d: unknown): d is Data => {
  if (typeof d !== "object" || d === null) return false
  const { f, r, t } = d as Record<string, unknown>
  const token = t as Record<string, unknown> | undefined
  const failure = f as Record<string, unknown> | undefined
  return (t === undefined || (typeof t === "object" && t !== null && isText(token!["v"]) && isText(token!["u"]) &&
    isTime(token!["i"]) && (token!["e"] === null || isTime(token!["e"])))) &&
    (r === undefined || isText(r)) &&
    (f === undefined || (typeof f === "object" && f !== null && isText(failure!["m"]) && isText(failure!["c"]) &&
      isText(failure!["d"]) && isTime(failure!["until"]) && (failure!["s"] === undefined || isTime(failure!["s"]))))
}

const decode = (version: number, data: string | undefined, sealer: Sealer, keyName: string): Entry => {
  const empty: Entry = { version, token: undefined, refreshToken: undefined, failure: undefined }
  if (data === undefined) return empty
  const text = sealer.open(data, keyName)
  if (text === undefined) return empty // not ours (other key, tampered): treated as empty, overwritten by the next holder
  let parsed: Data
  try {
    parsed = JSON.parse(text) as Data
  } catch {
    return empty
  }
  if (!wellFormed(parsed)) return empty // not what a holder writes: overwritten by the next one
  const t = parsed.t
  return {
    version,
    token: t === undefined
      ? undefined
      : AccessToken.make({
        value: Redacted.make(t.v),
        instanceUrl: t.u,
        issuedAt: DateTime.unsafeMake(t.i),
        expiresAt: t.e === null ? undefined : DateTime.unsafeMake(t.e)
      }),
    refreshToken: parsed.r === undefined ? undefined : Redacted.make(parsed.r),
    failure: parsed.f === undefined
      ? undefined
      : {
        error: new AuthenticationError({
          method: parsed.f.m,
          code: parsed.f.c,
          description: parsed.f.d,
          ...(parsed.f.s === undefined ? {} : { status: parsed.f.s })
        }),
        until: parsed.f.until
      }
  }
}

const encode = (entry: Omit<Entry, "version">): string => {
  const data: Data = {
    ...(entry.token === undefined ? {} : {
      t: {
        v: Redacted.value(entry.token.value),
        u: entry.token.instanceUrl,
        i: entry.token.issuedAt.epochMillis,
        e: Option.match(entry.token.expiresAt, { onNone: () => null, onSome: (d) => d.epochMillis })
      }
    }),
    ...(entry.refreshToken === undefined ? {} : { r: Redacted.value(entry.refreshToken) }),
    ...(entry.failure === undefined ? {} : {
      f: {
        m: entry.failure.error.method,
        c: entry.failure.error.code,
        d: entry.failure.error.description,
        s: entry.failure.error.status,
        until: entry.failure.until
      }
    })
  }
  return JSON.stringify(data)
}

/** How long an entry lives: a refresh token stays; otherwise as long as its token or failure. */
const ttlOf = (entry: Omit<Entry, "version">, now: number, settings: Settings): Duration.Duration | undefined => {
  if (entry.refreshToken !== undefined) return undefined
  const until = Math.max(
    entry.token === undefined
      ? 0
      : AccessToken.expiresAtMillis(entry.token) ?? now + Duration.toMillis(settings.unknownExpiryTtl),
    entry.failure?.until ?? 0
  )
  return Duration.millis(Math.max(1_000, until - now))
}

/** @internal */
export const make = (options: {
  readonly ops: Ops
  readonly notifier: Notifier
  readonly channel: string
  readonly keyName: string
  readonly sealer: Sealer
  readonly settings: Settings
  readonly method: string
  readonly slot: TokenStore.SlotOptions
}): Effect.Effect<TokenStore.Slot> =>
  Effect.map(Ref.make(options.slot.refreshToken), (localRefreshToken): TokenStore.Slot => {
    const { method, notifier, ops, sealer, settings } = options
    const storeError = (operation: string, detail: string) => new TokenStoreError({ method, operation, detail })
    const unavailable = (e: StoreUnavailable) => storeError(e.operation, e.detail)
    const read = Effect.map(ops.read, (raw) => decode(raw.version, raw.data, sealer, options.keyName))

    /** This process alone, when the store is down and the provider allows it. */
    const local = (acquisition: TokenStore.Acquisition, error: StoreUnavailable) =>
      Effect.zipRight(
        acquisition.storeUnavailable(error.operation, error.detail, options.slot.whenUnavailable),
        options.slot.whenUnavailable === "local"
          ? Effect.flatMap(
            Ref.get(localRefreshToken),
            (refreshToken) => acquisition.run({ refreshToken, rotate: (next) => Ref.set(localRefreshToken, next) })
          )
          : Effect.fail(unavailable(error))
      )

    const fresh = (entry: Entry, acquisition: TokenStore.Acquisition, now: number) =>
      entry.token !== undefined &&
        (acquisition.previous === undefined || !AccessToken.sameValue(entry.token, acquisition.previous)) &&
        acquisition.usable(entry.token, now)
        ? entry.token
        : undefined

    /** The holder's part: re-check, acquire, write at the version read, release. */
    const hold = (acquisition: TokenStore.Acquisition, holder: string) =>
      Effect.gen(function*() {
        // keep the lease while the acquisition runs; a holder that dies costs at most one lease
        yield* ops.renew(holder, settings.lease).pipe(
          Effect.ignore,
          Effect.repeat(Schedule.spaced(Duration.millis(Duration.toMillis(settings.lease) / 3))),
          Effect.delay(Duration.millis(Duration.toMillis(settings.lease) / 3)),
          Effect.forkScoped
        )
        const entry = yield* Effect.mapError(read, unavailable)
        const now = yield* Clock.currentTimeMillis
        const cached = fresh(entry, acquisition, now)
        if (cached !== undefined) return yield* acquisition.check(cached)
        if (entry.failure !== undefined && now < entry.failure.until) return yield* Effect.fail(entry.failure.error)

        let version = entry.version
        let refreshToken = entry.refreshToken ?? options.slot.refreshToken
        const write = (next: Omit<Entry, "version">) =>
          Effect.flatMap(Clock.currentTimeMillis, (at) =>
            ops.write(holder, version, sealer.seal(encode(next), options.keyName), ttlOf(next, at, settings)))
        const rotate = (next: Redacted.Redacted<string>) =>
          write({ token: entry.token, refreshToken: next, failure: undefined }).pipe(
            Effect.mapError(unavailable),
            Effect.flatMap((result) =>
              typeof result === "number"
                ? Effect.sync(() => {
                  version = result
                  refreshToken = next
                })
                : Effect.fail(storeError("rotate", result === "LockLost" ? "the lease was lost" : "the entry moved on"))
            ),
            // fail closed: the rotated token is not in the store, so no process may use the old one
            Effect.tapError(() =>
              Effect.ignore(write({
                token: undefined,
                refreshToken: undefined,
                failure: {
                  error: new AuthenticationError({
                    method,
                    code: "ROTATED_TOKEN_NOT_SAVED",
                    description:
                      "a rotated refresh token could not be saved in the token store; authorize again to get a new one"
                  }),
                  until: Number.MAX_SAFE_INTEGER
                }
              }))
            )
          )
        const exit = yield* Effect.exit(acquisition.run({ refreshToken, rotate }))
        const at = yield* Clock.currentTimeMillis
        if (Exit.isSuccess(exit)) {
          yield* Effect.ignore(write({ token: exit.value, refreshToken, failure: undefined }))
          return exit.value
        }
        const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
        if (failure instanceof AuthenticationError) {
          const cooldown = acquisition.cooldownMillis(failure)
          yield* Effect.ignore(write({
            token: undefined,
            refreshToken: acquisition.revokesRefreshToken(failure) ? undefined : refreshToken,
            failure: cooldown > 0 ? { error: failure, until: at + cooldown } : undefined
          }))
        }
        return yield* exit
      }).pipe(
        Effect.ensuring(Effect.ignore(ops.release(holder))),
        Effect.scoped
      )

    const acquire = (acquisition: TokenStore.Acquisition): Effect.Effect<AccessToken.AccessToken, AuthError> => {
      const holder = Crypto.randomUUID()
      const attempt: Effect.Effect<AccessToken.AccessToken | undefined, AuthError | StoreUnavailable> = Effect.gen(
        function*() {
          const entry = yield* read
          const now = yield* Clock.currentTimeMillis
          const cached = fresh(entry, acquisition, now)
          if (cached !== undefined) return yield* acquisition.check(cached)
          if (entry.failure !== undefined && now < entry.failure.until) return yield* Effect.fail(entry.failure.error)
          if (yield* ops.tryLock(holder, settings.lease)) return yield* hold(acquisition, holder)
          // another process holds it: wait for its result (a message, or the next poll)
          yield* notifier.next(options.channel, settings.pollInterval)
          return undefined
        }
      )
      const loop: Effect.Effect<AccessToken.AccessToken, AuthError | StoreUnavailable> = Effect.flatMap(
        attempt,
        (token) => (token === undefined ? loop : Effect.succeed(token))
      )
      return Effect.catchTag(loop, "StoreUnavailable", (error) => local(acquisition, error))
    }
    return { acquire }
  })
