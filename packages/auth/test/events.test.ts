import { assert, describe, it } from "@effect/vitest"
import * as SalesforceEvent from "@effect-salesforce/auth/SalesforceEvent"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
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

  it.scoped("publishing with no subscriber neither blocks nor stores anything", () =>
    Effect.gen(function*() {
      const bus = yield* SalesforceEvents.make({ capacity: 16 })
      for (let i = 0; i < 100_000; i++) {
        yield* bus.publish(SalesforceEvent.SalesforceEvent.ApiUsage({ used: i, limit: 100_000 }))
      }
      assert.strictEqual(yield* PubSub.size(bus.pubsub), 0)
    }))

  it.scoped("a slow subscriber never blocks publishers and keeps at most `capacity` events", () =>
    Effect.gen(function*() {
      const bus = yield* SalesforceEvents.make({ capacity: 16 })
      const slow = yield* bus.subscribe
      for (let i = 0; i < 10_000; i++) {
        yield* bus.publish(SalesforceEvent.SalesforceEvent.ApiUsage({ used: i, limit: 10_000 }))
      }
      const kept = Array.from(yield* Queue.takeAll(slow))
      assert.strictEqual(kept.length, 16)
      // the newest are kept
      const last = kept[kept.length - 1]!
      assert.strictEqual(last._tag === "ApiUsage" ? last.used : -1, 9_999)
    }))

  it.scoped("the stream subscribes at once: no early event is missed", () =>
    Effect.gen(function*() {
      const bus = yield* SalesforceEvents.make()
      const stream = yield* bus.stream
      yield* bus.publish(SalesforceEvent.SalesforceEvent.ApiUsage({ used: 1, limit: 2 }))
      const first = yield* Stream.runHead(stream)
      assert.strictEqual(Option.getOrNull(first)?._tag, "ApiUsage")
    }))

  it.effect("RefreshTokenRotated keeps its token redacted", () =>
    Effect.sync(() => {
      const event = SalesforceEvent.SalesforceEvent.RefreshTokenRotated({
        authMethod: "RefreshToken",
        refreshToken: Redacted.make("5Aep861-rotated-secret")
      })
      for (const text of [String(event), JSON.stringify(event), inspect(event, { depth: 10 }), SalesforceEvent.format(event)]) {
        assert.notInclude(text, "rotated-secret")
      }
    }))
})

describe("SalesforceEvents after shutdown", () => {
  it.effect("publishing on a closed bus neither fails nor interrupts", () =>
    Effect.gen(function*() {
      const bus = yield* Effect.scoped(SalesforceEvents.make())
      const exit = yield* Effect.exit(bus.publish(SalesforceEvent.SalesforceEvent.ApiUsage({ used: 1, limit: 2 })))
      assert.isTrue(Exit.isSuccess(exit), "publish succeeded")
      assert.isTrue(yield* PubSub.isShutdown(bus.pubsub), "the bus really was shut down")
    }))
})
