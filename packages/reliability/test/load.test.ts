/**
 * Concurrency and load: 10,000 concurrent requests across a session expiry, callers
 * interrupted at random during acquisition and refresh, 100,000 sequential requests with
 * memory, fiber and socket counts.
 */
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import {
  connect,
  figure,
  heapUsed,
  mb,
  nextEvent,
  noHang,
  openServers,
  openSockets,
  prng,
  rootFibers,
  seen,
  settledSockets,
  stubTransport,
  tracked,
  v,
  witness
} from "./harness.js"

/** Let the event loop run (vitest's own RPC) during long CPU-bound loops. */
const breathe = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, witness.loggerLayer)

describe("load: 10,000 concurrent requests", () => {
  it.scopedLive("the session expires in the middle: 0 failures, 1 refresh", () =>
    Effect.gen(function*() {
      const N = 10_000
      // the client's default concurrency limit (100) and undici's default pool
      const { bus, control, grants, sf } = yield* connect("ClientCredentials")
      const [acme] = (yield* control.records("Account")).filter((r) => r["Name"] === "Acme")
      const id = String(acme!["Id"])
      yield* sf.sobject("Account").get(id)
      assert.strictEqual(yield* grants, 1)
      const statuses = yield* bus.subscribe
      const done = yield* Ref.make(0)
      const half = yield* Deferred.make<void>()
      const expiredAt = yield* Ref.make(-1)
      const expirer = yield* Effect.fork(
        Effect.zipRight(Deferred.await(half), Effect.zipRight(control.expireAllSessions, Effect.flatMap(Ref.get(done), (n) => Ref.set(expiredAt, n))))
      )
      const started = performance.now()
      const results = yield* Effect.forEach(
        Array.from({ length: N }, (_, i) => i),
        () =>
          sf.sobject("Account").get(id, ["Id", "Name"]).pipe(
            Effect.either,
            Effect.tap(() =>
              Effect.flatMap(Ref.updateAndGet(done, (n) => n + 1), (n) => (n === N / 2 ? Deferred.succeed(half, undefined) : Effect.void))
            )
          ),
        { concurrency: "unbounded" }
      ).pipe(noHang("100 seconds", "10,000 concurrent requests"))
      const elapsed = performance.now() - started
      yield* Fiber.join(expirer)
      const failures = results.filter(Either.isLeft)
      for (const f of failures.slice(0, 3)) seen(f.left)
      let rejected = 0
      let refreshedEvents = 0
      for (const e of yield* statuses.takeAll) {
        if (e._tag === "Response" && e.source === "client" && e.status === 401) rejected++
        if (e._tag === "TokenRefreshed") refreshedEvents++
      }
      const counters = yield* control.counters
      figure("load.concurrent10k", {
        requests: N,
        failures: failures.length,
        refreshes: (yield* grants) - 1,
        rejected401: rejected,
        expiredAfter: yield* Ref.get(expiredAt),
        ms: Math.round(elapsed),
        reqPerSec: Math.round(N / (elapsed / 1000)),
        peakInFlightAtEmulator: counters.peakInFlight
      })
      assert.strictEqual(failures.length, 0)
      assert.strictEqual(results.length, N)
      assert.strictEqual(yield* grants, 2, "exactly one refresh")
      assert.strictEqual(refreshedEvents, 1)
      assert.isAbove(rejected, 0, "the expiry hit requests in flight")
      assert.isAtLeast(yield* Ref.get(expiredAt), N / 2)
    }).pipe(observed))
})

describe("load: interrupted callers", () => {
  it.scoped("interrupting callers at random during acquisition and refresh: the others complete (TestClock)", () =>
    Effect.gen(function*() {
      const N = 1000
      const random = prng(7)
      const calls = yield* Ref.make(0)
      const secret = (n: number) => `00D000000000042!AQ-interrupt-token-${n}`
      for (let n = 1; n <= 3; n++) witness.addSecret("custom token", secret(n))
      const provider = yield* TokenProvider.make({
        authMethod: "Slow",
        acquire: Effect.gen(function*() {
          const n = yield* Ref.updateAndGet(calls, (k) => k + 1)
          yield* Effect.sleep("1 second")
          return { accessToken: Redacted.make(secret(n)), instanceUrl: "https://acme.my.salesforce.com" }
        })
      }).pipe(Effect.provide(witness.bus()))
      const round = (start: Effect.Effect<unknown, unknown>) =>
        Effect.gen(function*() {
          const fibers = yield* Effect.forEach(Array.from({ length: N }), () => Effect.fork(start))
          yield* TestClock.adjust("500 millis") // everyone is waiting on the one acquisition
          // the caller that started it (fibers[0]) and a random half of the rest are interrupted
          const doomed = fibers.filter((_, i) => i === 0 || random() < 0.5)
          yield* Effect.forEach(doomed, Fiber.interruptFork, { discard: true })
          yield* TestClock.adjust("1 second")
          const exits = yield* Effect.forEach(fibers, Fiber.await)
          const interrupted = exits.filter(Exit.isInterrupted).length
          const succeeded = exits.filter(Exit.isSuccess).length
          return { interrupted, succeeded, doomed: doomed.length }
        })
      const first = yield* round(provider.get)
      assert.strictEqual(first.interrupted, first.doomed)
      assert.strictEqual(first.succeeded, N - first.doomed)
      assert.strictEqual(yield* Ref.get(calls), 1)
      const stale = yield* provider.get
      assert.strictEqual(Redacted.value(stale.value), secret(1))
      const second = yield* round(provider.refresh(stale))
      assert.strictEqual(second.succeeded, N - second.doomed)
      assert.strictEqual(yield* Ref.get(calls), 2, "one refresh for the whole storm")
      assert.strictEqual(Redacted.value((yield* provider.get).value), secret(2))
      figure("load.interruptTestClock", {
        callers: N,
        interruptedAcquire: first.doomed,
        interruptedRefresh: second.doomed,
        acquisitions: yield* Ref.get(calls)
      })
    }).pipe(observed))

  it.scopedLive("interrupting callers at random during acquisition and refresh over real HTTP: the others complete", () =>
    Effect.gen(function*() {
      const N = 200
      const random = prng(42)
      const { bus, control, grants, sf } = yield* connect("ClientCredentials")
      const round = Effect.gen(function*() {
        yield* control.injectFault({ path: "/services/oauth2/token", kind: { _tag: "Delay", duration: "300 millis" } })
        const tokenCall = yield* nextEvent(bus, (e) => e._tag === "Request" && e.source === "auth")
        const fibers = yield* Effect.forEach(Array.from({ length: N }), () => Effect.fork(sf.limits))
        yield* tokenCall // the acquisition is on the wire
        const doomed = fibers.filter((_, i) => i === 0 || random() < 0.5)
        yield* Effect.forEach(doomed, Fiber.interrupt, { discard: true, concurrency: "unbounded" })
        const exits = yield* Effect.forEach(fibers, Fiber.await).pipe(noHang("30 seconds", "callers after interruptions"))
        for (const e of exits) if (Exit.isFailure(e) && !Exit.isInterrupted(e)) seen(e.cause)
        return {
          doomed: doomed.length,
          interrupted: exits.filter(Exit.isInterrupted).length,
          failed: exits.filter((e) => Exit.isFailure(e) && !Exit.isInterrupted(e)).length,
          succeeded: exits.filter(Exit.isSuccess).length
        }
      })
      const first = yield* round
      assert.strictEqual(first.failed, 0)
      assert.strictEqual(first.succeeded + first.interrupted, N)
      assert.strictEqual(first.succeeded, N - first.doomed)
      assert.strictEqual(yield* grants, 1)
      yield* control.expireAllSessions
      // the next wave meets a dead session: 401, then one refresh that the test slows down and interrupts into
      const second = yield* round
      assert.strictEqual(second.failed, 0)
      assert.strictEqual(second.succeeded, N - second.doomed)
      assert.strictEqual(yield* grants, 2)
      yield* sf.limits
      const counters = yield* control.counters
      assert.strictEqual(counters.inFlight, 0)
      figure("load.interruptHttp", {
        callers: N,
        interruptedAcquire: first.doomed,
        interruptedRefresh: second.doomed,
        grants: yield* grants
      })
    }).pipe(observed))
})

describe("load: sequential requests, memory, fibers and sockets", () => {
  it.live("100,000 sequential requests through the full pipeline (loopback stub transport): bounded heap, no leaked fibers", () =>
    Effect.gen(function*() {
      const N = 100_000
      const token = "00Dstub000000000!AQcAQStubAccessTokenForTheSequentialCase"
      witness.addSecret("stub access token", token)
      const stub = stubTransport(token)
      const rootsBefore = yield* rootFibers
      const heaps: Array<number> = []
      const started = performance.now()
      const [, alive] = yield* tracked(() =>
        Effect.scoped(Effect.gen(function*() {
          const { sf } = yield* connect("ClientCredentials", { transport: stub.layer })
          const account = sf.sobject("Account")
          for (let i = 1; i <= N; i++) {
            yield* account.get("001000000000001AAA")
            if (i % 1_000 === 0) yield* breathe
            if (i % 10_000 === 0) heaps.push(heapUsed())
          }
        }))
      )
      const elapsed = performance.now() - started
      const rootsAfter = yield* rootFibers
      const aliveAfter = yield* alive
      const growth = heaps[heaps.length - 1]! - heaps[0]!
      figure("load.sequential100k.stub", {
        requests: N,
        transportCalls: stub.requests(),
        ms: Math.round(elapsed),
        reqPerSec: Math.round(N / (elapsed / 1000)),
        heapAt10kMB: mb(heaps[0]!),
        heapAt100kMB: mb(heaps[heaps.length - 1]!),
        heapGrowthMB: mb(growth),
        heapMaxMB: mb(Math.max(...heaps)),
        fibersAliveAfter: aliveAfter,
        rootFibersBefore: rootsBefore,
        rootFibersAfter: rootsAfter
      })
      assert.strictEqual(stub.requests(), N + 1, "one token call, then one call per request")
      assert.isBelow(growth, 16 * 1024 * 1024, "heap growth from 10k to 100k requests stays under 16 MB")
      assert.strictEqual(aliveAfter, 0, "no fiber outlives the client's scope")
      assert.isAtMost(rootsAfter, rootsBefore)
    }).pipe(observed), 240_000)

  it.live("sequential requests over real HTTP: bounded heap, no leaked fibers or sockets", () =>
    Effect.gen(function*() {
      const N = 5_000
      const socketsBefore = yield* settledSockets(0) // sockets and servers of earlier tests finish closing first
      const serversBefore = openServers()
      assert.strictEqual(serversBefore, 0, "no emulator of an earlier test is still listening")
      const rootsBefore = yield* rootFibers
      const heaps: Array<number> = []
      let inFlightAfter = -1
      let socketsWhileOpen = 0
      const started = performance.now()
      const [, alive] = yield* tracked(() =>
        Effect.scoped(Effect.gen(function*() {
          const { control, sf } = yield* connect("ClientCredentials")
          for (let i = 1; i <= N; i++) {
            yield* sf.execute(HttpClientRequest.get(`${v}/limits`))
            if (i % 1_000 === 0) heaps.push(heapUsed())
            if (i % 250 === 0) yield* breathe
          }
          inFlightAfter = (yield* control.counters).inFlight
          socketsWhileOpen = openSockets()
        }))
      )
      const elapsed = performance.now() - started
      const socketsAfter = yield* settledSockets(socketsBefore)
      const growth = heaps[heaps.length - 1]! - heaps[0]!
      const aliveAfter = yield* alive
      const rootsAfter = yield* rootFibers
      figure("load.sequential.http", {
        requests: N,
        ms: Math.round(elapsed),
        reqPerSec: Math.round(N / (elapsed / 1000)),
        heapAt1kMB: mb(heaps[0]!),
        heapAtEndMB: mb(heaps[heaps.length - 1]!),
        heapGrowthMB: mb(growth),
        socketsBefore,
        socketsWhileOpen,
        socketsAfter,
        serversAfter: openServers(),
        fibersAliveAfter: aliveAfter,
        rootFibersBefore: rootsBefore,
        rootFibersAfter: rootsAfter,
        emulatorInFlightAfter: inFlightAfter
      })
      assert.isBelow(growth, 16 * 1024 * 1024)
      assert.isAtMost(socketsAfter, socketsBefore, "every socket is closed with the scope")
      assert.strictEqual(openServers(), 0, "the emulator stopped listening")
      assert.strictEqual(aliveAfter, 0)
      assert.isAtMost(rootsAfter, rootsBefore)
      assert.strictEqual(inFlightAfter, 0)
    }).pipe(observed), 240_000)
})

describe("load: secrets", () => {
  it.effect("no secret in any log line, event, error or request URL of this file", () =>
    Effect.gen(function*() {
      const summary = yield* witness.assertClean
      figure("secrets.load", summary)
    }))
})
