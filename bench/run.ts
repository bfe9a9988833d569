/**
 * Benchmarks: `npm run bench`. Prints a table of figures and ratios against their targets.
 * Never part of the test run's pass/fail. The emulator runs in its own process (its CLI) so
 * the client under measurement has this process's event loop to itself.
 */
import { NodeHttpClient } from "@effect/platform-node"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { ClientCredentials, JwtBearer, SalesforceConfig, SalesforceEvent, SalesforceEvents, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Emulator } from "@effect-salesforce/emulator"
import { Context, Effect, Layer, Queue, Redacted, Ref } from "effect"
import * as crypto from "node:crypto"
import os from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { request as undiciRequest } from "undici"
import { startEmulatorProcess } from "./emulatorProcess.js"
import { hostile } from "./hostile.js"
import { loadJsforce } from "./jsforce.js"
// the signing code of JwtBearer itself (internal: not part of the public API)
import * as jwtInternal from "../packages/auth/src/internal/jwt.js"

interface Row {
  readonly name: string
  readonly figure: string
  readonly target: string
  readonly met: boolean | undefined
}
const rows: Array<Row> = []
const record = (row: Row) => {
  rows.push(row)
  const verdict = row.met === undefined ? "" : row.met ? "  ✔" : "  ✘"
  console.log(`  ${row.name}: ${row.figure} (target ${row.target})${verdict}`)
}
const ms = (n: number) => `${n.toFixed(1)} ms`
const gc = () => (globalThis as { gc?: () => void }).gc?.()
const heapMb = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}
const app = Emulator.defaultOptions.connectedApps[0]!
/** The emulator's daily API limit must not end the throughput runs. */
const emulatorConfig = join(dirname(fileURLToPath(import.meta.url)), "emulator.json")

/** 1. Warm `get` against a bare `Ref.get`, in the same kind of loop. */
const warmGet = Effect.gen(function*() {
  const bus = yield* SalesforceEvents.make()
  const provider = yield* TokenProvider.make({
    acquire: Effect.succeed({ accessToken: Redacted.make("00Dx!bench"), instanceUrl: "https://bench.my.salesforce.com", expiresIn: "2 hours" })
  }).pipe(Effect.provideService(SalesforceEvents.SalesforceEvents, bus))
  const ref = yield* Ref.make(0)
  yield* provider.get
  const N = 2_000_000
  const loop = <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.gen(function*() {
      const start = performance.now()
      for (let i = 0; i < N; i++) yield* effect
      return performance.now() - start
    })
  let best = { get: Infinity, ref: Infinity }
  for (let round = 0; round < 5; round++) {
    const ref1 = yield* loop(Ref.get(ref))
    const get1 = yield* loop(provider.get)
    best = { get: Math.min(best.get, get1), ref: Math.min(best.ref, ref1) }
  }
  const ratio = best.get / best.ref
  record({
    name: `warm get × ${N.toLocaleString()}`,
    figure: `${((best.get * 1e6) / N).toFixed(0)} ns/get vs ${((best.ref * 1e6) / N).toFixed(0)} ns/Ref.get = ${ratio.toFixed(2)}×`,
    target: "≤ 1.5×",
    met: ratio <= 1.5
  })
})

const counters = (em: { control: <A>(m: "GET" | "POST", p: string) => Promise<A> }) =>
  Effect.promise(() => em.control<{ grantsPerType: Record<string, number> }>("GET", "/counters"))

/** 2 and 3: cold-cache single flight and the revoked-session storm, against the emulator process. */
const storms = (baseUrl: string, em: Parameters<typeof counters>[0]) =>
  Effect.gen(function*() {
    const bus = yield* SalesforceEvents.make()
    const context = yield* Layer.build(Layer.mergeAll(
      SalesforceConfig.layer({ baseUrl }),
      Layer.succeed(SalesforceEvents.SalesforceEvents, bus),
      NodeHttpClient.layerUndici
    ))
    const provider = yield* ClientCredentials.make({ clientId: app.clientId, clientSecret: Redacted.make(app.clientSecret!) }).pipe(
      Effect.provide(context)
    )
    const before = (yield* counters(em)).grantsPerType["client_credentials"] ?? 0
    const start = performance.now()
    yield* Effect.all(Array.from({ length: 10_000 }, () => provider.get), { concurrency: "unbounded" })
    const elapsed = performance.now() - start
    const grants = ((yield* counters(em)).grantsPerType["client_credentials"] ?? 0) - before
    record({ name: "10,000 concurrent get, cold cache", figure: `${grants} grant(s), all served in ${ms(elapsed)}`, target: "1 grant", met: grants === 1 })

    const sf = yield* Salesforce.make().pipe(Effect.provide(context), Effect.provideService(TokenProvider.TokenProvider, provider))
    yield* sf.limits
    yield* Effect.promise(() => em.control("POST", "/sessions/expire-all"))
    const before2 = (yield* counters(em)).grantsPerType["client_credentials"] ?? 0
    const start2 = performance.now()
    const results = yield* Effect.all(Array.from({ length: 1000 }, () => Effect.either(sf.limits)), { concurrency: "unbounded" })
    const elapsed2 = performance.now() - start2
    const refreshes = ((yield* counters(em)).grantsPerType["client_credentials"] ?? 0) - before2
    const failures = results.filter((r) => r._tag === "Left").length
    record({
      name: "1,000 concurrent requests after the session is revoked",
      figure: `${refreshes} refresh(es), ${failures} failure(s), ${ms(elapsed2)}`,
      target: "1 refresh, 0 failures",
      met: refreshes === 1 && failures === 0
    })
    return { sf, provider }
  })

/** 4. Throughput through `Salesforce.execute` against raw undici, concurrency 50. */
const throughput = (baseUrl: string, sf: Salesforce.Salesforce.Service, provider: TokenProvider.TokenProvider.Service) =>
  Effect.gen(function*() {
    const token = Redacted.value((yield* provider.get).value)
    const N = 3000
    const path = `/services/data/v${sf.apiVersion}/limits`
    const ours = Effect.gen(function*() {
      const start = performance.now()
      yield* Effect.forEach(
        Array.from({ length: N }),
        () => Effect.flatMap(sf.execute(HttpClientRequest.get(path)), (r) => r.json),
        { concurrency: 50, discard: true }
      )
      return performance.now() - start
    })
    const raw = Effect.promise(async () => {
      const start = performance.now()
      let next = 0
      const worker = async () => {
        while (next < N) {
          next++
          const response = await undiciRequest(`${baseUrl}${path}`, {
            headers: { authorization: `Bearer ${token}`, accept: "application/json" }
          })
          await response.body.json()
        }
      }
      await Promise.all(Array.from({ length: 50 }, worker))
      return performance.now() - start
    })
    // the same calls through the bare @effect/platform client (undici), without our pipeline
    const platform = Context.get(yield* Layer.build(NodeHttpClient.layerUndici), HttpClient.HttpClient)
    const bare = Effect.gen(function*() {
      const start = performance.now()
      yield* Effect.forEach(
        Array.from({ length: N }),
        () =>
          platform.execute(HttpClientRequest.get(`${baseUrl}${path}`).pipe(HttpClientRequest.bearerToken(token))).pipe(
            Effect.flatMap((r) => r.json),
            Effect.scoped
          ),
        { concurrency: 50, discard: true }
      )
      return performance.now() - start
    })
    yield* ours
    yield* raw
    yield* bare
    let best = { ours: Infinity, raw: Infinity, bare: Infinity }
    for (let round = 0; round < 3; round++) {
      best = {
        ours: Math.min(best.ours, yield* ours),
        raw: Math.min(best.raw, yield* raw),
        bare: Math.min(best.bare, yield* Effect.orDie(bare))
      }
    }
    const connect = loadJsforce()
    let jsforceMs: number | undefined
    if (connect !== undefined) {
      const conn = connect({ instanceUrl: baseUrl, accessToken: token, version: sf.apiVersion })
      const viaJsforce = Effect.promise(async () => {
        const start = performance.now()
        let next = 0
        const worker = async () => {
          while (next < N) {
            next++
            await conn.request(path)
          }
        }
        await Promise.all(Array.from({ length: 50 }, worker))
        return performance.now() - start
      })
      yield* viaJsforce
      jsforceMs = Infinity
      for (let round = 0; round < 3; round++) jsforceMs = Math.min(jsforceMs, yield* viaJsforce)
    }
    const oursRps = (N / best.ours) * 1000
    const rawRps = (N / best.raw) * 1000
    const ratio = oursRps / rawRps
    record({
      name: "throughput, concurrency 50",
      figure: `Salesforce.execute ${oursRps.toFixed(0)} req/s vs raw undici ${rawRps.toFixed(0)} req/s = ${ratio.toFixed(2)}×`,
      target: "≥ 0.85×",
      met: ratio >= 0.85
    })
    const bareRps = (N / best.bare) * 1000
    record({
      name: "throughput, bare @effect/platform HttpClient (undici), concurrency 50",
      figure: `${bareRps.toFixed(0)} req/s = ${(bareRps / rawRps).toFixed(2)}× raw undici; Salesforce.execute = ${(oursRps / bareRps).toFixed(2)}× of it`,
      target: "reference",
      met: undefined
    })
    if (jsforceMs !== undefined) {
      const jsforceRps = (N / jsforceMs) * 1000
      const vsJsforce = oursRps / jsforceRps
      record({
        name: "throughput vs jsforce 3.10.16, concurrency 50",
        figure: `Salesforce.execute ${oursRps.toFixed(0)} req/s vs jsforce ${jsforceRps.toFixed(0)} req/s = ${vsJsforce.toFixed(2)}×`,
        target: "≥ 2×",
        met: vsJsforce >= 2
      })
    }
  })

/** 5. JWT login CPU against a bare `crypto.sign` of the same assertion. */
const jwtCpu = Effect.gen(function*() {
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString()
  const body = JSON.stringify({ access_token: "00Dx!jwt", instance_url: "https://bench.my.salesforce.com", id: "https://login.salesforce.com/id/00D/005", token_type: "Bearer", scope: "api" })
  const stub = HttpClient.make((request) =>
    Effect.succeed(HttpClientResponse.fromWeb(request, new Response(body, { status: 200, headers: { "content-type": "application/json" } })))
  )
  const bus = yield* SalesforceEvents.make()
  const provider = yield* JwtBearer.make({ clientId: "3MVG9Bench", username: "bench@example.com", privateKey: Redacted.make(pem) }).pipe(
    Effect.provide(SalesforceConfig.layer({ baseUrl: "https://bench.my.salesforce.com" })),
    Effect.provideService(SalesforceEvents.SalesforceEvents, bus),
    Effect.provideService(HttpClient.HttpClient, stub)
  )
  const key = crypto.createPrivateKey(pem)
  const b64 = (s: string) => Buffer.from(s).toString("base64url")
  const N = 400
  // main-thread time: both sides are CPU-bound here (the transport is a stub), and process.cpuUsage
  // would also count the GC's and the loader's helper threads
  const cpu = async (f: () => void | Promise<void>) => {
    const start = performance.now()
    await f()
    return performance.now() - start
  }
  const bare = () =>
    cpu(() => {
      for (let i = 0; i < N; i++) {
        const exp = Math.floor(Date.now() / 1000) + 180
        const input = `${b64(JSON.stringify({ alg: "RS256" }))}.${b64(JSON.stringify({ iss: "3MVG9Bench", sub: "bench@example.com", aud: "https://login.salesforce.com", exp }))}`
        crypto.sign("sha256", Buffer.from(input), key).toString("base64url")
      }
    })
  // each refresh is a whole login: claims, RS256 signature, form body, send (stubbed), decode
  const ours = () =>
    cpu(() => Effect.runPromise(Effect.forEach(Array.from({ length: N }), () => Effect.ignore(provider.refresh()), { discard: true })))
  yield* Effect.promise(ours)
  yield* Effect.promise(bare)
  let best = { ours: Infinity, bare: Infinity }
  for (let round = 0; round < 3; round++) {
    best = { ours: Math.min(best.ours, yield* Effect.promise(ours)), bare: Math.min(best.bare, yield* Effect.promise(bare)) }
  }
  // the assertion alone, through the method's own signing code, with the key parsed at layer build
  const keyOnce = jwtInternal.parsePrivateKey(pem, undefined)
  if (keyOnce._tag === "Left") return yield* Effect.dieMessage("key")
  const assertionOnly = () =>
    cpu(() => {
      for (let i = 0; i < N; i++) {
        jwtInternal.sign({ iss: "3MVG9Bench", sub: "bench@example.com", aud: "https://login.salesforce.com", exp: Math.floor(Date.now() / 1000) + 180 }, keyOnce.right)
      }
    })
  let assertionBest = Infinity
  for (let round = 0; round < 3; round++) assertionBest = Math.min(assertionBest, yield* Effect.promise(assertionOnly))
  const assertionRatio = assertionBest / best.bare
  record({
    name: `JWT assertion CPU × ${N} (key parsed once)`,
    figure: `${(assertionBest / N).toFixed(3)} ms/assertion vs ${(best.bare / N).toFixed(3)} ms/crypto.sign = ${assertionRatio.toFixed(2)}×`,
    target: "≤ 1.2×",
    met: assertionRatio <= 1.2
  })
  const ratio = best.ours / best.bare
  record({
    name: `JWT whole login × ${N} (stub transport)`,
    figure: `${(best.ours / N).toFixed(3)} ms/login vs ${(best.bare / N).toFixed(3)} ms/crypto.sign = ${ratio.toFixed(2)}×`,
    target: "≤ 1.2×",
    met: ratio <= 1.2
  })
})

/** 6. Memory after 1,000,000 events, with no subscriber and with one that never keeps up. */
const eventMemory = Effect.gen(function*() {
  const N = 1_000_000
  const event = SalesforceEvent.SalesforceEvent.ApiUsage({ used: 1, limit: 2 })
  const publishAll = (bus: SalesforceEvents.SalesforceEvents.Service) =>
    Effect.gen(function*() {
      for (let i = 0; i < N; i++) yield* bus.publish(event)
    })
  const idle = yield* SalesforceEvents.make()
  const before = heapMb()
  const start = performance.now()
  yield* publishAll(idle)
  const elapsed = performance.now() - start
  const growth = heapMb() - before
  record({
    name: "1,000,000 events, no subscriber",
    figure: `heap +${growth.toFixed(1)} MB, ${((elapsed * 1e6) / N).toFixed(0)} ns/publish`,
    target: "< 20 MB",
    met: growth < 20
  })
  const slowBus = yield* SalesforceEvents.make()
  const slow = yield* slowBus.subscribe
  const before2 = heapMb()
  yield* publishAll(slowBus)
  const growth2 = heapMb() - before2
  const backlog = yield* Queue.size(slow)
  record({
    name: "1,000,000 events, one subscriber that never keeps up",
    figure: `heap +${growth2.toFixed(1)} MB, backlog held at ${backlog} events`,
    target: "< 20 MB",
    met: growth2 < 20
  })
})

/** `npm run bench -- warm jwt` runs only the named groups. */
const only = new Set(process.argv.slice(2))
const wanted = (group: string) => only.size === 0 || only.has(group)

const main = Effect.gen(function*() {
  console.log(`effect-salesforce benchmarks on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${(globalThis as { gc?: unknown }).gc ? "" : " (run with --expose-gc for memory figures)"}\n`)
  if (wanted("warm")) yield* Effect.scoped(warmGet)
  if (wanted("http")) {
    const em = yield* Effect.acquireRelease(
      Effect.promise(() => startEmulatorProcess(emulatorConfig)),
      (em) => Effect.promise(() => em.stop())
    )
    const { provider, sf } = yield* storms(em.baseUrl, em)
    yield* throughput(em.baseUrl, sf, provider)
  }
  if (wanted("jwt")) yield* Effect.scoped(jwtCpu)
  if (wanted("events")) yield* Effect.scoped(eventMemory)
  if (wanted("hostile")) yield* Effect.promise(() => hostile(record))
  console.log("\n| benchmark | measured | target | met |\n|---|---|---|---|")
  for (const row of rows) console.log(`| ${row.name} | ${row.figure} | ${row.target} | ${row.met === undefined ? "" : row.met ? "yes" : "no"} |`)
})

Effect.runPromise(Effect.scoped(main)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
