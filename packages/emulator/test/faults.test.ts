import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { Emulator } from "../src/index.js"
import { defaultPassword, defaultUser, get, soapLogin, withToken } from "./helpers.js"

describe("fault injection", () => {
  it.scoped("Status: the next N matching requests get the status, body and headers, then normal service", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken()
      yield* control.injectFault({
        path: "/services/data/v64.0/limits",
        count: 2,
        kind: { _tag: "Status", status: 503, body: [{ message: "down", errorCode: "SERVER_UNAVAILABLE" }], headers: { "Retry-After": "3" } }
      })
      for (let i = 0; i < 2; i++) {
        const reply = yield* get(`${api}/limits`, token)
        assert.strictEqual(reply.status, 503)
        assert.strictEqual(reply.headers["retry-after"], "3")
        assert.deepStrictEqual(reply.json, [{ message: "down", errorCode: "SERVER_UNAVAILABLE" }])
      }
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
    }))

  it.scoped("matching by RegExp and method; other requests are untouched", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken()
      yield* control.injectFault({ path: /\/query\?q=/, method: "GET", kind: { _tag: "Status", status: 401, body: "[{\"message\":\"Session expired or invalid\",\"errorCode\":\"INVALID_SESSION_ID\"}]" } })
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
      assert.strictEqual((yield* get(`${api}/query?q=SELECT+Id+FROM+Account`, token)).status, 401)
      assert.strictEqual((yield* get(`${api}/query?q=SELECT+Id+FROM+Account`, token)).status, 200)
    }))

  it.scoped("faults apply to auth endpoints too (an HTML 420 on SOAP login)", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      yield* control.injectFault({ path: "/services/Soap/", kind: { _tag: "Status", status: 420, body: "<html>Edge</html>", headers: { "content-type": "text/html" } } })
      const reply = yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)
      assert.strictEqual(reply.status, 420)
      assert.strictEqual(reply.headers["content-type"], "text/html")
    }))

  it.scoped("Delay holds requests, then handles them; peak concurrency is counted", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken()
      yield* control.resetCounters
      yield* control.injectFault({ path: "/services/data/v64.0/limits", count: 3, kind: { _tag: "Delay", duration: "150 millis" } })
      const replies = yield* Effect.all(Array.from({ length: 3 }, () => get(`${api}/limits`, token)), { concurrency: 3 })
      assert.deepStrictEqual(replies.map((r) => r.status), [200, 200, 200])
      const counters = yield* control.counters
      assert.strictEqual(counters.peakInFlight, 3)
      assert.strictEqual(counters.inFlight, 0)
      assert.strictEqual(counters.requestsPerPath["/services/data/v64.0/limits"], 3)
    }))

  it.scoped("Drop destroys the connection without an answer", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken()
      yield* control.injectFault({ path: "/services/data", kind: { _tag: "Drop" } })
      const dropped = yield* Effect.either(get(`${api}/limits`, token))
      assert.isTrue(Either.isLeft(dropped))
      if (Either.isLeft(dropped)) assert.strictEqual(dropped.left._tag, "RequestError")
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
      const log = yield* control.requestLog
      assert.isUndefined(log[log.length - 2]!.status)
      assert.strictEqual(log[log.length - 1]!.status, 200)
    }))

  it.scoped("Drop mid-response sends headers and part of the body, then cuts", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken()
      yield* control.injectFault({ path: "/services/data", kind: { _tag: "Drop", midResponse: true } })
      const cut = yield* Effect.either(get(`${api}/limits`, token))
      assert.isTrue(Either.isLeft(cut))
    }))

  it.scoped("Malformed answers 200 with a truncated or given body", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken()
      yield* control.injectFault({ path: "/services/data", count: 1, kind: { _tag: "Malformed" } })
      yield* control.injectFault({ path: "/services/data", count: 1, kind: { _tag: "Malformed", body: "<html>oops" } })
      const truncated = yield* get(`${api}/limits`, token)
      assert.strictEqual(truncated.status, 200)
      assert.match(truncated.headers["content-type"]!, /json/)
      assert.isUndefined(truncated.json)
      assert.strictEqual((yield* get(`${api}/limits`, token)).text, "<html>oops")
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
    }))

  it.scoped("clearFaults drops pending faults", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken()
      yield* control.injectFault({ path: "/", count: 100, kind: { _tag: "Status", status: 500 } })
      yield* control.clearFaults
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
    }))
})
