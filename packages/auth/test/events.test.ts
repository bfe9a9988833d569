import { assert, describe, it } from "@effect/vitest"
import * as SalesforceEvent from "@effect-salesforce/auth/SalesforceEvent"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { inspect } from "node:util"
import { counter, definiteNo, recordEvents, withBus } from "./helpers.js"

describe("SalesforceEvents", () => {
  it.scoped("TokenAcquired, TokenRefreshed (with trigger) and TokenFailed arrive in order", () =>
    Effect.gen(function*() {
      const { acquired, grant } = yield* counter
      const { bus, taken } = yield* recordEvents
      const fail = yield* Ref.make(false)
      const provider = yield* withBus(
        bus,
        TokenProvider.make({
          authMethod: "Stub",
          acquire: Effect.flatMap(Ref.get(fail), (f) =>
            f ? Effect.fail(definiteNo) : Effect.map(Ref.updateAndGet(acquired, (n) => n + 1), (n) => grant(n, "1 hour"))),
          proactiveRefresh: false
        })
      )
      const first = yield* provider.get
      yield* provider.refresh(first)
      yield* TestClock.adjust("59 minutes")
      yield* provider.get
      yield* provider.refresh()
      yield* Ref.set(fail, true)
      yield* Effect.flip(provider.refresh())
      const events = yield* taken
      assert.deepStrictEqual(
        events.map((e) =>
          e._tag === "TokenRefreshed" ? `${e._tag}:${e.trigger}` : e._tag === "TokenFailed" ? `${e._tag}:${e.trigger}` : e._tag
        ),
        ["TokenAcquired", "TokenRefreshed:rejected", "TokenRefreshed:expired", "TokenRefreshed:manual", "TokenFailed:manual"]
      )
      const failed = events[4]!
      assert.strictEqual(failed._tag === "TokenFailed" ? Option.getOrNull(failed.code) : null, "INVALID_LOGIN")
      assert.include(SalesforceEvent.format(failed), "INVALID_LOGIN")
    }))

  it.scoped("publishing with no subscriber neither blocks nor stores anything: a later subscriber starts empty", () =>
    Effect.gen(function*() {
      const bus = yield* SalesforceEvents.make({ capacity: 16 })
      const publisher = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 100_000 }, (_, i) => i), (i) =>
          bus.publish(SalesforceEvent.SalesforceEvent.ApiUsage({ used: i, limit: 100_000 })), { discard: true })
      )
      assert.isTrue(Exit.isExit(yield* Fiber.await(publisher)))
      const late = yield* bus.subscribe
      yield* bus.publish(SalesforceEvent.SalesforceEvent.ApiUsage({ used: -1, limit: 0 }))
      const seen = Array.from(yield* Queue.takeAll(late))
      assert.deepStrictEqual(seen.map((e) => (e._tag === "ApiUsage" ? e.used : null)), [-1], "nothing published before was kept")
      assert.strictEqual(yield* bus.dropped, 0, "nobody lagged, nothing counted as lost")
    }))

  it.scoped("a subscriber that falls behind: the oldest are dropped, counted, and reported by EventsDropped", () =>
    Effect.gen(function*() {
      const bus = yield* SalesforceEvents.make({ capacity: 16 })
      const slow = yield* bus.subscribe
      for (let i = 0; i < 1_000; i++) yield* bus.publish(SalesforceEvent.SalesforceEvent.ApiUsage({ used: i, limit: 1_000 }))
      assert.strictEqual(yield* bus.dropped, 1_000 - 16 + 1, "the first report itself pushed one more out")
      // one report per second at most: the first drop was reported at once, the rest wait
      yield* TestClock.adjust("1 second")
      yield* bus.publish(SalesforceEvent.SalesforceEvent.ApiUsage({ used: 1_000, limit: 1_000 }))
      const kept = Array.from(yield* Queue.takeAll(slow))
      assert.strictEqual(kept.length, 16)
      const newest = kept.filter((e) => e._tag === "ApiUsage").map((e) => (e._tag === "ApiUsage" ? e.used : -1))
      assert.deepStrictEqual(newest, Array.from({ length: 15 }, (_, i) => 986 + i))
      const report = kept[15]
      assert.strictEqual(report?._tag, "EventsDropped")
      assert.strictEqual(report?._tag === "EventsDropped" ? report.total : -1, yield* bus.dropped)
      assert.strictEqual(report?._tag === "EventsDropped" ? report.count : -1, 1_000 - 16 + 1 + 1 - 1)
      assert.match(String(report), /event\(s\) dropped for a subscriber that fell behind/)
    }))

  it.scoped("the stream subscribes at once: no early event is missed", () =>
    Effect.gen(function*() {
      const bus = yield* SalesforceEvents.make()
      const stream = yield* bus.stream
      yield* bus.publish(SalesforceEvent.SalesforceEvent.ApiUsage({ used: 1, limit: 2 }))
      const first = yield* Stream.runHead(stream)
      assert.strictEqual(Option.getOrNull(first)?._tag, "ApiUsage")
    }))

  it.effect("RefreshTokenRotated keeps its token redacted in String, format, JSON and inspect", () =>
    Effect.sync(() => {
      const event = SalesforceEvent.SalesforceEvent.RefreshTokenRotated({
        authMethod: "RefreshToken",
        refreshToken: Redacted.make("5Aep861-rotated-secret")
      })
      // the event still carries the token for the user to persist
      assert.strictEqual(Redacted.value(event.refreshToken), "5Aep861-rotated-secret")
      assert.strictEqual(String(event), SalesforceEvent.format(event))
      assert.match(String(event), /^\d{4}-\d\d-\d\dT.* refresh token rotated by RefreshToken$/)
      for (const text of [String(event), `${event}`, JSON.stringify(event), inspect(event, { depth: 10 }), SalesforceEvent.format(event)]) {
        assert.notInclude(text, "rotated-secret")
      }
    }))

  it.effect("every event carries its timestamp; String(event) is its format line; odd values never throw", () =>
    Effect.sync(() => {
      const at = DateTime.unsafeMake("2026-01-02T03:04:05.678Z")
      const events = [
        SalesforceEvent.SalesforceEvent.Request({ source: "client", method: "GET", url: "https://x/y", timestamp: at }),
        SalesforceEvent.SalesforceEvent.TokenAcquired({
          authMethod: "SoapLogin",
          instanceUrl: "https://acme.my.salesforce.com",
          // sessionSecondsValid=8640000000001: past what Date can show
          expiresAt: Option.some(DateTime.addDuration(at, Duration.seconds(8_640_000_000_001))),
          timestamp: at
        })
      ]
      for (const event of events) {
        assert.strictEqual(event.timestamp, at)
        assert.strictEqual(String(event), SalesforceEvent.format(event))
        assert.isTrue(String(event).startsWith("2026-01-02T03:04:05.678Z "))
        JSON.stringify(event)
      }
      assert.match(String(events[1]), /expires \d+ ms after the epoch$/)
      assert.isTrue(DateTime.isDateTime(SalesforceEvent.SalesforceEvent.ApiUsage({ used: 1, limit: 2 }).timestamp))
    }))
})

describe("SalesforceEvents after shutdown", () => {
  it.scoped("publishing on a closed bus neither fails nor interrupts", () =>
    Effect.gen(function*() {
      const busScope = yield* Scope.make()
      const bus = yield* SalesforceEvents.make().pipe(Scope.extend(busScope))
      const subscription = yield* bus.subscribe // outlives the bus
      yield* Scope.close(busScope, Exit.void)
      const exit = yield* Effect.exit(bus.publish(SalesforceEvent.SalesforceEvent.ApiUsage({ used: 1, limit: 2 })))
      assert.isTrue(Exit.isSuccess(exit), "publish succeeded")
      assert.isTrue(yield* Queue.isShutdown(subscription), "the bus really was shut down")
    }))
})
