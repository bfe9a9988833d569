/**
 * 401s on the instance (issue 10, items 5 and 12), against the emulator over real HTTP:
 * - an instance that refuses every session costs one login per cool-down, not one per request:
 *   after a fresh token is refused, requests with it fail at once with `SessionRejectedError`
 *   (no request, no login) until the cool-down ends (`TestClock` drives the window);
 * - a request reads its token when it holds its concurrency permit, so a 401 storm of 1,000
 *   requests costs about 1,000 + the concurrency limit REST calls, not 2,000.
 */
import * as SalesforceError from "@effect-salesforce/client/SalesforceError"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as TestClock from "effect/TestClock"
import { connect, figure, noHang, seen, v, witness } from "./harness.js"

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, witness.loggerLayer)

describe("an instance that refuses every session", () => {
  it.scoped("200 requests cost one refresh per cool-down window, then fail at once with SessionRejectedError", () =>
    Effect.gen(function*() {
      const { control, grants, requestsTo, sf } = yield* connect("ClientCredentials")
      yield* sf.limits
      const path = `${v}/limits`
      const restBefore = yield* requestsTo(path)
      yield* control.injectFault({
        path,
        count: 100_000,
        kind: {
          _tag: "Status",
          status: 401,
          body: JSON.stringify([{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]),
          headers: { "content-type": "application/json" }
        }
      })
      const round = Effect.forEach(Array.from({ length: 200 }), () => Effect.either(sf.limits))
      const first = yield* round
      const errors = first.map((r) => Either.getLeft(r)).flatMap((e) => (e._tag === "Some" ? [e.value] : []))
      assert.strictEqual(errors.length, 200)
      seen(errors[0])
      seen(errors[1])
      const reasons = errors.map((e) => (e instanceof SalesforceError.SessionRejectedError ? e.reason : e._tag))
      assert.strictEqual(reasons[0], "AfterRefresh")
      assert.deepStrictEqual(new Set(reasons.slice(1)), new Set(["CoolingDown"]))
      assert.match(errors[1]!.message, /API Enabled/)
      const loginsInWindow = (yield* grants) - 1
      const restInWindow = (yield* requestsTo(path)) - restBefore
      assert.strictEqual(loginsInWindow, 1, "one refresh for the whole window")
      assert.strictEqual(restInWindow, 2, "the refused request and its resend; the rest failed without a request")

      // the next window: one more refresh, then fail fast again
      yield* TestClock.adjust("61 seconds")
      const second = yield* round
      assert.isTrue(second.every(Either.isLeft))
      const loginsAfter = (yield* grants) - 1
      assert.strictEqual(loginsAfter, 2, "one refresh per window")
      figure("sessionRejected.alwaysRefused", {
        requests: 400,
        windows: 2,
        logins: loginsAfter,
        restCalls: (yield* requestsTo(path)) - restBefore
      })

      // nothing poisoned: the instance recovers, the next window works
      yield* control.clearFaults
      yield* TestClock.adjust("61 seconds")
      yield* sf.limits
    }).pipe(observed))
})

describe("a 401 storm", () => {
  it.scopedLive("1,000 requests after the session is revoked: about 1,000 + the concurrency limit REST calls, one refresh", () =>
    Effect.gen(function*() {
      const N = 1_000
      const concurrency = 100
      const { control, grants, requestsTo, sf } = yield* connect("ClientCredentials", { client: { concurrency } })
      yield* sf.limits
      const path = `${v}/limits`
      const before = yield* requestsTo(path)
      yield* control.expireAllSessions
      const results = yield* Effect.forEach(Array.from({ length: N }), () => Effect.either(sf.limits), {
        concurrency: "unbounded"
      }).pipe(noHang("120 seconds", `${N} requests in a 401 storm`))
      const failures = results.filter(Either.isLeft)
      for (const f of failures.slice(0, 3)) seen(f.left)
      assert.strictEqual(failures.length, 0)
      const calls = (yield* requestsTo(path)) - before
      assert.strictEqual((yield* grants) - 1, 1, "one refresh")
      assert.isAtMost(calls, N + concurrency, "a queued request sends the token current when it goes")
      figure("sessionRejected.storm", { requests: N, concurrency, restCalls: calls })
    }).pipe(observed))
})

describe("session rejected: secrets", () => {
  it.effect("no secret in any log line, event, error or request URL of this file", () =>
    Effect.gen(function*() {
      const summary = yield* witness.assertClean
      assert.isAbove(summary.error ?? 0, 0, "errors were scanned")
      assert.isAbove(summary.event ?? 0, 0, "events were scanned")
      assert.isAbove(summary.url ?? 0, 0, "request URLs were scanned")
      figure("secrets.sessionRejected", summary)
    }))
})
