import { assert, describe, it } from "@effect/vitest"
import * as AccessToken from "@effect-salesforce/auth/AccessToken"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { counter, definiteNo, recordEvents, transient, withBus } from "./helpers.js"

const valueOf = (t: AccessToken.AccessToken) => Redacted.value(t.value)

describe("TokenProvider.make", () => {
  it.scoped("10,000 concurrent gets on an empty cache acquire once and share the token", () =>
    Effect.gen(function*() {
      const { acquired, grant } = yield* counter
      const { bus } = yield* recordEvents
      const gate = yield* Deferred.make<void>()
      const provider = yield* withBus(
        bus,
        TokenProvider.make({
          acquire: Deferred.await(gate).pipe(Effect.zipRight(Ref.updateAndGet(acquired, (n) => n + 1)), Effect.map((n) => grant(n)))
        })
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 10_000 }), () => Effect.fork(provider.get))
      yield* Deferred.succeed(gate, undefined)
      const tokens = yield* Effect.forEach(fibers, Fiber.join)
      assert.strictEqual(yield* Ref.get(acquired), 1)
      assert.strictEqual(new Set(tokens.map(valueOf)).size, 1)
      assert.strictEqual(valueOf(tokens[0]!), "00D000000000001!secret-tok-1")
    }))

  it.scoped("a cached, unexpired token is served without acquisition", () =>
    Effect.gen(function*() {
      const { acquired, grant } = yield* counter
      const { bus } = yield* recordEvents
      const provider = yield* withBus(
        bus,
        TokenProvider.make({ acquire: Effect.map(Ref.updateAndGet(acquired, (n) => n + 1), (n) => grant(n, "2 hours")) })
      )
      const first = yield* provider.get
      yield* TestClock.adjust("30 minutes")
      for (let i = 0; i < 100; i++) assert.strictEqual(yield* provider.get, first)
      assert.strictEqual(yield* Ref.get(acquired), 1)
    }))

  it.scoped("after expiresAt minus the margin, the next get refreshes once with the refresh effect", () =>
    Effect.gen(function*() {
      const { acquired, grant, refreshed } = yield* counter
      const { bus } = yield* recordEvents
      const provider = yield* withBus(
        bus,
        TokenProvider.make({
          acquire: Effect.map(Ref.updateAndGet(acquired, (n) => n + 1), (n) => grant(n, "1 hour")),
          refresh: () => Effect.map(Ref.updateAndGet(refreshed, (n) => n + 1), (n) => grant(100 + n, "1 hour")),
          expiryMargin: "1 minute",
          proactiveRefresh: false
        })
      )
      const first = yield* provider.get
      yield* TestClock.adjust("58 minutes")
      assert.strictEqual(yield* provider.get, first)
      yield* TestClock.adjust("1 minute") // now exactly at expiresAt - margin
      const tokens = yield* Effect.all(Array.from({ length: 50 }, () => provider.get), { concurrency: "unbounded" })
      assert.strictEqual(yield* Ref.get(refreshed), 1)
      assert.strictEqual(yield* Ref.get(acquired), 1)
      assert.strictEqual(new Set(tokens.map(valueOf)).size, 1)
      assert.strictEqual(valueOf(tokens[0]!), "00D000000000001!secret-tok-101")
    }))

  it.scoped("without a refresh effect, expiry re-runs acquire", () =>
    Effect.gen(function*() {
      const { acquired, grant } = yield* counter
      const { bus } = yield* recordEvents
      const provider = yield* withBus(
        bus,
        TokenProvider.make({
          acquire: Effect.map(Ref.updateAndGet(acquired, (n) => n + 1), (n) => grant(n, "10 minutes")),
          proactiveRefresh: false
        })
      )
      yield* provider.get
      yield* TestClock.adjust("9 minutes")
      const second = yield* provider.get
      assert.strictEqual(yield* Ref.get(acquired), 2)
      assert.strictEqual(valueOf(second), "00D000000000001!secret-tok-2")
    }))

  it.scoped("proactive refresh runs in the background at the refresh point; callers never wait", () =>
    Effect.gen(function*() {
      const { acquired, grant, refreshed } = yield* counter
      const { bus, taken } = yield* recordEvents
      const release = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const provider = yield* withBus(
        bus,
        TokenProvider.make({
          acquire: Effect.map(Ref.updateAndGet(acquired, (n) => n + 1), (n) => grant(n, "2 hours")),
          // the refresh hangs until released, so a caller that waited for it would hang too
          refresh: () =>
            Deferred.succeed(started, undefined).pipe(
              Effect.zipRight(Deferred.await(release)),
              Effect.zipRight(Ref.updateAndGet(refreshed, (n) => n + 1)),
              Effect.map((n) => grant(100 + n, "2 hours"))
            ),
          expiryMargin: "1 minute",
          proactiveRefresh: { ahead: "5 minutes" }
        })
      )
      const first = yield* provider.get
      // refresh point: 2h - 1 min - 5 min = 1h54m
      yield* TestClock.adjust(Duration.minutes(113))
      assert.isFalse(yield* Deferred.isDone(started))
      yield* TestClock.adjust("1 minute")
      yield* Deferred.await(started)
      // the refresh is in flight and blocked: get still answers at once with the old token
      assert.strictEqual(yield* provider.get, first)
      yield* Deferred.succeed(release, undefined)
      yield* Effect.yieldNow().pipe(Effect.repeatN(10))
      const next = yield* provider.get
      assert.strictEqual(valueOf(next), "00D000000000001!secret-tok-101")
      assert.strictEqual(yield* Ref.get(acquired), 1)
      const events = yield* taken
      const refreshedEvent = events.find((e) => e._tag === "TokenRefreshed")
      assert.strictEqual(refreshedEvent?._tag === "TokenRefreshed" ? refreshedEvent.trigger : undefined, "proactive")
    }))

  it.scoped("a failed proactive refresh keeps the old token until it really expires and retries on the schedule", () =>
    Effect.gen(function*() {
      const { acquired, grant, refreshed } = yield* counter
      const { bus } = yield* recordEvents
      const provider = yield* withBus(
        bus,
        Effect.provide(
          TokenProvider.make({
            acquire: Effect.map(Ref.updateAndGet(acquired, (n) => n + 1), (n) => grant(n, "1 hour")),
            refresh: () =>
              Ref.updateAndGet(refreshed, (n) => n + 1).pipe(
                Effect.flatMap((n) => (n < 3 ? Effect.fail(transient) : Effect.succeed(grant(100 + n, "1 hour"))))
              ),
            expiryMargin: "1 minute",
            proactiveRefresh: { ahead: "5 minutes", schedule: Schedule.spaced("30 seconds") }
          }),
          RetryPolicy.layer({ schedule: Schedule.stop })
        )
      )
      const first = yield* provider.get
      yield* TestClock.adjust("54 minutes") // refresh point; attempt 1 fails
      assert.strictEqual(yield* Ref.get(refreshed), 1)
      assert.strictEqual(yield* provider.get, first)
      yield* TestClock.adjust("30 seconds") // attempt 2 fails
      assert.strictEqual(yield* Ref.get(refreshed), 2)
      assert.strictEqual(yield* provider.get, first)
      yield* TestClock.adjust("30 seconds") // attempt 3 succeeds
      assert.strictEqual(yield* Ref.get(refreshed), 3)
      assert.strictEqual(valueOf(yield* provider.get), "00D000000000001!secret-tok-103")
      assert.strictEqual(yield* Ref.get(acquired), 1)
    }))

  it.scoped("refresh(stale): 1,000 concurrent callers with the same stale token cause one refresh", () =>
    Effect.gen(function*() {
      const { acquired, grant, refreshed } = yield* counter
      const { bus } = yield* recordEvents
      const provider = yield* withBus(
        bus,
        TokenProvider.make({
          acquire: Effect.map(Ref.updateAndGet(acquired, (n) => n + 1), (n) => grant(n)),
          refresh: () => Effect.map(Ref.updateAndGet(refreshed, (n) => n + 1), (n) => grant(100 + n))
        })
      )
      const stale = yield* provider.get
      const fresh = yield* Effect.all(Array.from({ length: 1000 }, () => provider.refresh(stale)), {
        concurrency: "unbounded"
      })
      assert.strictEqual(yield* Ref.get(refreshed), 1)
      assert.strictEqual(new Set(fresh.map(valueOf)).size, 1)
      // a late caller with the old token gets the newer cached one, no I/O
      const late = yield* provider.refresh(stale)
      assert.strictEqual(valueOf(late), "00D000000000001!secret-tok-101")
      assert.strictEqual(yield* Ref.get(refreshed), 1)
      // refresh() without a token forces one
      yield* provider.refresh()
      assert.strictEqual(yield* Ref.get(refreshed), 2)
    }))

  it.scoped("a failed acquisition fails every waiter with the same error; the next get tries again", () =>
    Effect.gen(function*() {
      const { acquired, grant } = yield* counter
      const { bus } = yield* recordEvents
      const gate = yield* Deferred.make<void>()
      const provider = yield* withBus(
        bus,
        Effect.provide(
          TokenProvider.make({
            acquire: Deferred.await(gate).pipe(
              Effect.zipRight(Ref.updateAndGet(acquired, (n) => n + 1)),
              Effect.flatMap((n) => (n === 1 ? Effect.fail(transient) : Effect.succeed(grant(n))))
            )
          }),
          RetryPolicy.layer({ schedule: Schedule.stop })
        )
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 100 }), () => Effect.fork(Effect.either(provider.get)))
      yield* Deferred.succeed(gate, undefined)
      const results = yield* Effect.forEach(fibers, Fiber.join)
      const lefts = results.map((r) => (Either.isLeft(r) ? r.left : undefined))
      assert.isTrue(lefts.every((e) => e !== undefined && e === lefts[0]), "one shared failure")
      assert.strictEqual(lefts[0]?.message, transient.message)
      assert.strictEqual(yield* Ref.get(acquired), 1)
      const token = yield* provider.get
      assert.strictEqual(valueOf(token), "00D000000000001!secret-tok-2")
    }))

  it.scoped("interrupting the fiber that started the acquisition does not strand 100 waiters", () =>
    Effect.gen(function*() {
      const { acquired, grant } = yield* counter
      const { bus } = yield* recordEvents
      const gate = yield* Deferred.make<void>()
      const provider = yield* withBus(
        bus,
        TokenProvider.make({
          acquire: Deferred.await(gate).pipe(Effect.zipRight(Ref.updateAndGet(acquired, (n) => n + 1)), Effect.map((n) => grant(n)))
        })
      )
      const starter = yield* Effect.fork(provider.get)
      yield* Effect.yieldNow()
      const waiters = yield* Effect.forEach(Array.from({ length: 100 }), () => Effect.fork(provider.get))
      yield* Effect.yieldNow()
      const exit = yield* Fiber.interrupt(starter)
      assert.isTrue(Exit.isInterrupted(exit))
      yield* Deferred.succeed(gate, undefined)
      const tokens = yield* Effect.forEach(waiters, Fiber.join).pipe(Effect.timeout("1 second"), Effect.fork)
      yield* TestClock.adjust("1 second")
      const joined = yield* Fiber.join(tokens)
      assert.strictEqual(joined.length, 100)
      assert.strictEqual(yield* Ref.get(acquired), 1)
    }))

  it.scoped("transient failures are retried with backoff; a definite no is not", () =>
    Effect.gen(function*() {
      const { acquired, grant } = yield* counter
      const { bus, taken } = yield* recordEvents
      const provider = yield* withBus(
        bus,
        Effect.provide(
          TokenProvider.make({
            acquire: Ref.updateAndGet(acquired, (n) => n + 1).pipe(
              Effect.flatMap((n) => (n <= 2 ? Effect.fail(transient) : Effect.succeed(grant(n))))
            )
          }),
          RetryPolicy.layer({ schedule: Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(3))) })
        )
      )
      const fiber = yield* Effect.fork(provider.get)
      yield* TestClock.adjust("100 millis")
      yield* TestClock.adjust("200 millis")
      const token = yield* Fiber.join(fiber)
      assert.strictEqual(valueOf(token), "00D000000000001!secret-tok-3")
      assert.strictEqual(yield* Ref.get(acquired), 3)
      const retries = (yield* taken).filter((e) => e._tag === "Retry")
      assert.deepStrictEqual(retries.map((e) => (e._tag === "Retry" ? [e.attempt, e.delayMillis] : [])), [[1, 100], [2, 200]])

      const definite = yield* Ref.make(0)
      const refusing = yield* withBus(
        bus,
        TokenProvider.make({ acquire: Effect.zipRight(Ref.update(definite, (n) => n + 1), Effect.fail(definiteNo)) })
      )
      const error = yield* Effect.flip(refusing.get)
      assert.strictEqual(error.message, definiteNo.message)
      assert.strictEqual(yield* Ref.get(definite), 1)
    }))

  it.scoped("no login storms: a definite no is shared by queued waiters and remembered for the cool-down", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const { grant } = yield* counter
      const { bus } = yield* recordEvents
      const gate = yield* Deferred.make<void>()
      const failing = yield* Ref.make(true)
      const provider = yield* withBus(
        bus,
        TokenProvider.make({
          acquire: Deferred.await(gate).pipe(
            Effect.zipRight(Ref.updateAndGet(attempts, (n) => n + 1)),
            Effect.flatMap((n) => Effect.if(Ref.get(failing), { onTrue: () => Effect.fail(definiteNo), onFalse: () => Effect.succeed(grant(n)) }))
          ),
          failureCooldown: "2 minutes"
        })
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 50 }), () => Effect.fork(Effect.flip(provider.get)))
      yield* Deferred.succeed(gate, undefined)
      const errors = yield* Effect.forEach(fibers, Fiber.join)
      assert.isTrue(errors.every((e) => e === errors[0]), "one shared failure")
      assert.strictEqual(errors[0]!.message, definiteNo.message)
      assert.strictEqual(yield* Ref.get(attempts), 1)
      // during the cool-down: the remembered failure, no I/O
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Effect.flip(provider.get), errors[0])
      assert.strictEqual(yield* Effect.flip(provider.refresh()), errors[0])
      assert.strictEqual(yield* Ref.get(attempts), 1)
      // after it: one new attempt
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* Effect.flip(provider.get)).message, definiteNo.message)
      assert.strictEqual(yield* Ref.get(attempts), 2)
      // invalidate ends the cool-down at once
      yield* Ref.set(failing, false)
      yield* provider.invalidate
      yield* provider.get
      assert.strictEqual(yield* Ref.get(attempts), 3)
    }))

  it.scoped("a token response with an insecure instance URL is refused", () =>
    Effect.gen(function*() {
      const { bus } = yield* recordEvents
      const provider = yield* withBus(
        bus,
        TokenProvider.make({
          acquire: Effect.succeed({ accessToken: Redacted.make("x"), instanceUrl: "http://evil.example.com" })
        })
      )
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error._tag, "MalformedResponseError")
      assert.include(error.message, "plain http is only allowed on loopback")
    }))

  it.scoped("an acquisition that never ends is bounded by the timeout", () =>
    Effect.gen(function*() {
      const { bus } = yield* recordEvents
      const provider = yield* withBus(bus, TokenProvider.make({ acquire: Effect.never, acquireTimeout: "10 seconds" }))
      const fiber = yield* Effect.fork(Effect.flip(provider.get))
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "no token after 10s")
    }))

  it.scoped("closing the provider's scope interrupts an in-flight acquisition and releases its waiters", () =>
    Effect.gen(function*() {
      const { bus } = yield* recordEvents
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const inner = yield* Scope.make()
      const provider = yield* withBus(
        bus,
        TokenProvider.make({
          acquire: Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
          )
        })
      ).pipe(Scope.extend(inner))
      const waiter = yield* Effect.fork(Effect.exit(provider.get))
      yield* Deferred.await(started)
      yield* Scope.close(inner, Exit.void)
      yield* Deferred.await(interrupted)
      assert.isTrue(Exit.isInterrupted(yield* Fiber.join(waiter)))
      // a get after the provider is gone ends instead of hanging
      assert.isTrue(Exit.isInterrupted(yield* Effect.exit(provider.get)))
    }))
  it.scoped("an hour idle with a 30-second server lifetime costs two logins, not a loop", () =>
    Effect.gen(function*() {
      const { acquired, grant } = yield* counter
      const { bus } = yield* recordEvents
      // the default 60 s margin is longer than the token's life: it shrinks to a quarter of it
      const provider = yield* withBus(
        bus,
        TokenProvider.make({ acquire: Effect.map(Ref.updateAndGet(acquired, (n) => n + 1), (n) => grant(n, "30 seconds")) })
      )
      const first = yield* provider.get
      yield* TestClock.adjust("7 seconds")
      assert.strictEqual(yield* provider.get, first, "usable for three quarters of its life")
      for (let minute = 0; minute < 60; minute++) yield* TestClock.adjust("1 minute")
      // the first token was used, so it was refreshed ahead once; its successor was not, so nothing more
      assert.strictEqual(yield* Ref.get(acquired), 2)
      const later = yield* provider.get
      assert.strictEqual(valueOf(later), "00D000000000001!secret-tok-3")
      assert.strictEqual(yield* Ref.get(acquired), 3)
    }))

  it.scoped("a caller using 1-second tokens all the time: background refreshes at most one per minimum interval", () =>
    Effect.gen(function*() {
      const { acquired, grant } = yield* counter
      const { bus, taken } = yield* recordEvents
      const provider = yield* withBus(
        bus,
        TokenProvider.make({ acquire: Effect.map(Ref.updateAndGet(acquired, (n) => n + 1), (n) => grant(n, "1 second")) })
      )
      for (let i = 0; i < 600; i++) {
        yield* provider.get
        yield* TestClock.adjust("100 millis")
      }
      const proactive = (yield* taken).filter((e) => e._tag === "TokenRefreshed" && e.trigger === "proactive")
      // one minute of calls: a background refresh at most every 5 seconds (the callers drive the rest)
      assert.isAtMost(proactive.length, 60_000 / Duration.toMillis(TokenProvider.minimumRefreshInterval))
      // each token is usable for 0.75 s: callers cause about one acquisition per 0.8 s, and never more
      assert.isAtMost(yield* Ref.get(acquired), 60 / 0.75 + proactive.length + 1)
    }))

  it.scoped("a failed acquisition reaches its callers and TokenFailed, and logs nothing", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => logs.push(`${logLevel.label} ${String(message)}`))
      const { bus, taken } = yield* recordEvents
      const failing = Effect.gen(function*() {
        const provider = yield* withBus(
          bus,
          Effect.provide(TokenProvider.make({ acquire: Effect.fail(definiteNo) }), RetryPolicy.layer({ schedule: Schedule.stop }))
        )
        const other = yield* withBus(
          bus,
          Effect.provide(TokenProvider.make({ acquire: Effect.fail(transient) }), RetryPolicy.layer({ schedule: Schedule.stop }))
        )
        assert.strictEqual((yield* Effect.flip(provider.get)).message, definiteNo.message)
        assert.strictEqual((yield* Effect.flip(other.get)).message, transient.message)
        yield* Effect.yieldNow().pipe(Effect.repeatN(20))
      })
      yield* failing.pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.All)
      )
      assert.deepStrictEqual(logs, [])
      assert.strictEqual((yield* taken).filter((e) => e._tag === "TokenFailed").length, 2)
    }))
})
