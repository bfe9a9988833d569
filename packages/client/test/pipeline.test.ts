import { AuthenticationError } from "@effect-salesforce/auth/AuthError"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Salesforce from "@effect-salesforce/client/Salesforce"
import * as SalesforceError from "@effect-salesforce/client/SalesforceError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { authOf, env, instanceUrl, json, makeStub, type Sent, setup, sfError } from "./stub.js"

const ok = json(200, { ok: true })
const get = (url: string) => HttpClientRequest.get(url)

describe("execute: URL, headers", () => {
  it.scoped("resolves paths against the instance URL and sets Authorization, Accept and Sforce-Call-Options", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(() => ok, { clientName: "acme-sync" })
      yield* sf.execute(get("/services/data/v64.0/limits"))
      yield* sf.execute(get("sobjects/Account"))
      yield* sf.execute(get(`${instanceUrl}/services/data/v64.0/`))
      assert.deepStrictEqual(sent.map((s) => s.url.href), [
        `${instanceUrl}/services/data/v64.0/limits`,
        `${instanceUrl}/services/data/v64.0/sobjects/Account`,
        `${instanceUrl}/services/data/v64.0/`
      ])
      for (const s of sent) {
        assert.strictEqual(authOf(s), "Bearer test-token-1")
        assert.strictEqual(s.headers["accept"], "application/json")
        assert.strictEqual(s.headers["sforce-call-options"], "client=acme-sync")
      }
    }))

  it.scoped("keeps query parameters and caller headers, and replaces a caller's Authorization", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(() => ok)
      yield* sf.execute(
        get("query").pipe(
          HttpClientRequest.setUrlParam("q", "SELECT Id FROM Account"),
          HttpClientRequest.setHeader("Authorization", "Bearer stolen")
        ),
        { headers: { "Sforce-Query-Options": "batchSize=200" } }
      )
      assert.strictEqual(sent[0]!.url.searchParams.get("q"), "SELECT Id FROM Account")
      assert.strictEqual(sent[0]!.headers["sforce-query-options"], "batchSize=200")
      assert.strictEqual(authOf(sent[0]!), "Bearer test-token-1")
    }))

  it.scoped("refuses an absolute URL on another host: the token never leaves the instance", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(() => ok)
      for (const url of ["https://evil.example.com/services/data/v64.0/query/01g-2000", "//evil.example.com/x", "http://acme.my.salesforce.com/x"]) {
        const error = yield* Effect.flip(sf.execute(get(url)))
        assert.strictEqual(error._tag, "InvalidRequestError")
        assert.isFalse((error as SalesforceError.InvalidRequestError).isRetryable)
      }
      assert.strictEqual(sent.length, 0)
    }))

  it.scoped("returns the whole response, buffered, without the Authorization header on its request", () =>
    Effect.gen(function*() {
      const { sf } = yield* setup(() => json(200, { a: 1 }))
      const response = yield* sf.execute(get("limits"))
      assert.deepStrictEqual(yield* response.json, { a: 1 })
      assert.deepStrictEqual(yield* response.json, { a: 1 })
      assert.isUndefined(response.request.headers["authorization"])
    }))

  it.scoped("httpClient is the same pipeline as an @effect/platform HttpClient", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup((s) => (s.url.pathname.endsWith("/missing") ? sfError(404, "NOT_FOUND", "no") : ok))
      const response = yield* sf.httpClient.get("/services/data/v64.0/limits")
      assert.strictEqual(response.status, 200)
      const error = yield* Effect.flip(sf.httpClient.get("sobjects/Account/missing"))
      assert.strictEqual(error._tag, "NotFoundError")
      assert.strictEqual(authOf(sent[0]!), "Bearer test-token-1")
    }))
})

describe("execute: 401", () => {
  const rejectFirstToken = (s: Sent) =>
    authOf(s) === "Bearer test-token-1" ? sfError(401, "INVALID_SESSION_ID", "Session expired or invalid") : ok

  it.scoped("INVALID_SESSION_ID: refreshes the rejected token once and resends", () =>
    Effect.gen(function*() {
      const { sent, sf, tokens } = yield* setup(rejectFirstToken)
      const response = yield* sf.execute(get("limits"))
      assert.strictEqual(response.status, 200)
      assert.deepStrictEqual(sent.map(authOf), ["Bearer test-token-1", "Bearer test-token-2"])
      assert.strictEqual(yield* tokens.acquisitions, 1)
      assert.strictEqual(yield* tokens.refreshes, 1)
    }))

  it.scoped("a second 401 fails with SessionRejectedError, no loop", () =>
    Effect.gen(function*() {
      const { sent, sf, tokens } = yield* setup(() => sfError(401, "INVALID_SESSION_ID", "Session expired or invalid"))
      const error = yield* Effect.flip(sf.execute(get("limits")))
      assert.strictEqual(error._tag, "SessionRejectedError")
      const rejected = error as SalesforceError.SessionRejectedError
      assert.strictEqual(rejected.errorCode, "INVALID_SESSION_ID")
      assert.strictEqual(rejected.status, 401)
      assert.strictEqual(rejected.reason, "AfterRefresh")
      assert.match(rejected.message, /refused again with a fresh token; likely causes: .*API Enabled/)
      assert.strictEqual(sent.length, 2)
      assert.strictEqual(yield* tokens.refreshes, 1)
    }))

  it.scoped("a 401 that a new token cannot fix fails at once, without refreshing", () =>
    Effect.gen(function*() {
      const { sent, sf, tokens } = yield* setup(() =>
        sfError(401, "INVALID_SESSION_ID", "This session is not valid for use with the REST API")
      )
      const error = yield* Effect.flip(sf.execute(get("limits")))
      assert.strictEqual(error._tag, "SessionRejectedError")
      assert.strictEqual((error as SalesforceError.SessionRejectedError).reason, "Unfixable")
      assert.match(error.message, /not valid for use with the REST API/)
      assert.strictEqual(sent.length, 1)
      assert.strictEqual(yield* tokens.refreshes, 0)
    }))

  it.scoped("1,000 concurrent requests meeting a revoked session cause one refresh", () =>
    Effect.gen(function*() {
      const fresh = yield* setup(rejectFirstToken)
      const responses = yield* Effect.forEach(
        Array.from({ length: 1000 }, (_, i) => i),
        (i) => fresh.sf.execute(get(`sobjects/Account/${i}`)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(responses.length, 1000)
      assert.strictEqual(yield* fresh.tokens.acquisitions, 1)
      assert.strictEqual(yield* fresh.tokens.refreshes, 1)
      assert.strictEqual(fresh.sent.filter((s) => authOf(s) === "Bearer test-token-2").length, 1000)
    }))

  it.scoped("a token provider failure surfaces as its AuthError and is not retried by the client", () =>
    Effect.gen(function*() {
      const { sent, sf, tokens } = yield* setup(() => ok)
      yield* tokens.failNext(new AuthenticationError({ method: "Test", code: "invalid_grant", description: "expired" }))
      const error = yield* Effect.flip(sf.execute(get("limits")))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(sent.length, 0)
    }))

  it.scoped("a static token that is rejected fails with STATIC_TOKEN_REJECTED", () =>
    Effect.gen(function*() {
      const stub = makeStub(() => sfError(401, "INVALID_SESSION_ID", "Session expired or invalid"))
      const layer = Layer.merge(
        env(stub.client),
        TokenProvider.layerStatic({ accessToken: Redacted.make("00Dstatic!tok"), instanceUrl })
      ).pipe(Layer.orDie)
      const error = yield* Salesforce.make().pipe(
        Effect.flatMap((sf) => Effect.flip(sf.execute(get("limits")))),
        Effect.provide(layer)
      )
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual((error as AuthenticationError).code, "STATIC_TOKEN_REJECTED")
      assert.strictEqual(stub.sent.length, 1)
    }))
})

describe("execute: retries", () => {
  it.scoped("retries a 503 on GET, with a Retry event", () =>
    Effect.gen(function*() {
      const { events, sent, sf } = yield* setup((_, i) => (i === 0 ? sfError(503, "SERVER_UNAVAILABLE", "down") : ok))
      yield* sf.execute(get("limits"))
      assert.strictEqual(sent.length, 2)
      const retry = (yield* events).find((e) => e._tag === "Retry")
      assert.isDefined(retry)
      assert.deepInclude(retry, { source: "client", operation: "GET limits", attempt: 1 })
    }))

  it.scoped("retries a dropped connection on GET", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup((_, i) => (i === 0 ? { fail: "Transport" } : ok))
      yield* sf.execute(get("limits"))
      assert.strictEqual(sent.length, 2)
    }))

  it.scoped("never retries a 400, nor the daily request limit; retries the concurrent limit and row locks", () =>
    Effect.gen(function*() {
      const cases = [
        { reply: sfError(400, "MALFORMED_QUERY", "unexpected token"), calls: 1, tag: "SalesforceApiError" },
        { reply: sfError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."), calls: 1, tag: "RequestLimitExceededError" },
        { reply: sfError(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."), calls: 4, tag: "RequestLimitExceededError" },
        { reply: sfError(400, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access"), calls: 4, tag: "SalesforceApiError" },
        { reply: json(429, "slow down"), calls: 4, tag: "RequestLimitExceededError" }
      ]
      for (const c of cases) {
        const { sent, sf } = yield* setup(() => c.reply)
        const error = yield* Effect.flip(sf.execute(get("limits")))
        assert.strictEqual(error._tag, c.tag)
        assert.strictEqual(sent.length, c.calls, `${c.tag} ${JSON.stringify(c.reply)}`)
      }
    }))

  it.scoped("does not resend a POST after an ambiguous failure, unless the call opts in", () =>
    Effect.gen(function*() {
      const post = HttpClientRequest.post("sobjects/Account").pipe(HttpClientRequest.bodyUnsafeJson({ Name: "Acme" }))
      for (const reply of [sfError(503, "SERVER_UNAVAILABLE", "down"), { fail: "Transport" as const }]) {
        const once = yield* setup((_, i) => (i === 0 ? reply : json(201, { id: "001" })))
        yield* Effect.flip(once.sf.execute(post))
        assert.strictEqual(once.sent.length, 1)
        const opted = yield* setup((_, i) => (i === 0 ? reply : json(201, { id: "001" })))
        yield* opted.sf.execute(post, { allowResend: true })
        assert.strictEqual(opted.sent.length, 2)
      }
      // PATCH too
      const patch = yield* setup((_, i) => (i === 0 ? sfError(500, "UNKNOWN_EXCEPTION", "boom") : json(204, undefined)))
      yield* Effect.flip(patch.sf.execute(HttpClientRequest.patch("sobjects/Account/001")))
      assert.strictEqual(patch.sent.length, 1)
    }))

  it.scoped("resends a POST whose connection was refused (it never reached the server) and one that met a 429", () =>
    Effect.gen(function*() {
      const post = HttpClientRequest.post("sobjects/Account")
      for (const reply of [{ fail: "Transport" as const, code: "ECONNREFUSED" }, json(429, "slow down")]) {
        const { sent, sf } = yield* setup((_, i) => (i === 0 ? reply : json(201, { id: "001" })))
        yield* sf.execute(post)
        assert.strictEqual(sent.length, 2)
      }
    }))

  it.scoped("a per-call retry policy replaces the client's", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(() => sfError(503, "SERVER_UNAVAILABLE", "down"))
      const error = yield* Effect.flip(sf.execute(get("limits"), { retryPolicy: RetryPolicy.none }))
      assert.strictEqual(error._tag, "ServerError")
      assert.strictEqual(sent.length, 1)
    }))

  it.scoped("honours Retry-After", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup((_, i) => (i === 0 ? json(429, "slow", { "retry-after": "5" }) : ok))
      const fiber = yield* Effect.fork(sf.execute(get("limits")))
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual(sent.length, 1)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual(sent.length, 2)
    }))

  it.scoped("the default policy backs off on the clock", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup((_, i) => (i < 2 ? sfError(503, "SERVER_UNAVAILABLE", "down") : ok), {
        retryPolicy: RetryPolicy.make()
      })
      const fiber = yield* Effect.fork(sf.execute(get("limits")))
      yield* TestClock.adjust("100 millis")
      assert.strictEqual(sent.length, 1)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      assert.strictEqual(sent.length, 3)
    }))

  it.scoped("an attempt that hangs times out with a ConnectionError, and a GET is retried", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup((_, i) => (i === 0 ? Effect.never : ok), { requestTimeout: "30 seconds" })
      const fiber = yield* Effect.fork(sf.execute(get("limits")))
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.join(fiber)
      assert.strictEqual(sent.length, 2)
      const { sf: sf2 } = yield* setup(() => Effect.never, { requestTimeout: "1 second", retryPolicy: RetryPolicy.none })
      const failing = yield* Effect.fork(Effect.flip(sf2.execute(get("limits"))))
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(failing)
      assert.strictEqual(error._tag, "ConnectionError")
      assert.strictEqual((error as SalesforceError.ConnectionError).reason, "Timeout")
    }))
})

describe("execute: concurrency and events", () => {
  it.scoped("at most `concurrency` requests are in flight", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      let inFlight = 0
      let peak = 0
      const { sf } = yield* setup(() =>
        Effect.gen(function*() {
          inFlight++
          peak = Math.max(peak, inFlight)
          yield* Deferred.await(gate)
          inFlight--
          return ok
        }), { concurrency: 5 })
      const fiber = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 50 }), () => sf.execute(get("limits")), { concurrency: "unbounded" })
      )
      yield* Effect.yieldNow().pipe(Effect.repeatN(20))
      assert.strictEqual(inFlight, 5)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fiber)
      assert.strictEqual(peak, 5)
    }))

  it.scoped("events come in order, and carry no token", () =>
    Effect.gen(function*() {
      const { events, sf } = yield* setup((s) =>
        authOf(s) === "Bearer test-token-1"
          ? sfError(401, "INVALID_SESSION_ID", "Session expired or invalid")
          : json(200, {}, { "sforce-limit-info": "api-usage=18/15000; per-app-api-usage=2/250(appName=x)" })
      )
      yield* sf.execute(get("query").pipe(HttpClientRequest.setUrlParam("q", "SELECT Id FROM Account")))
      const seen = (yield* events).filter((e) => e._tag !== "TokenAcquired" && e._tag !== "TokenRefreshed")
      assert.deepStrictEqual(seen.map((e) => e._tag), ["Request", "Response", "ApiUsage", "Request", "Response", "ApiUsage"])
      assert.deepInclude(seen[0], { source: "client", method: "GET", url: `${instanceUrl}/services/data/v64.0/query` })
      assert.deepInclude(seen[1], { status: 401 })
      assert.deepInclude(seen[4], { status: 200 })
      assert.deepInclude(seen[5], { used: 18, limit: 15000 })
      const text = JSON.stringify(seen)
      assert.notMatch(text, /test-token|Bearer|authorization/i)
    }))

  it.scoped("an event subscriber on the bus never sees a token, whatever happens", () =>
    Effect.gen(function*() {
      const { events, sf } = yield* setup((_, i) => (i % 2 === 0 ? sfError(503, "X", "down") : sfError(401, "INVALID_SESSION_ID", "gone")))
      yield* Effect.flip(sf.execute(get("limits")))
      const all = yield* events
      assert.isAbove(all.length, 3)
      assert.notMatch(JSON.stringify(all), /test-token/)
    }))

  it.scoped("Salesforce.layer provides the service", () =>
    Effect.gen(function*() {
      const stub = makeStub(() => ok)
      const response = yield* Effect.flatMap(Salesforce.Salesforce, (sf) => sf.execute(get("limits"))).pipe(
        Effect.provide(Salesforce.layer().pipe(Layer.provide(env(stub.client))))
      )
      assert.strictEqual(response.status, 200)
    }))
})
