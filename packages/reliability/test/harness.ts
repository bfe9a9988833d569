/**
 * The reliability suite's harness: a secret-leak witness (recording logger, a subscriber on
 * every event, errors, the emulator's request log), the emulator and client set-up for the
 * four auth methods over real HTTP (undici), a loopback stub transport, resource counters
 * (fibers, sockets, heap) and the `[reliability]` figure lines the doc copies.
 */
import * as ClientCredentials from "@effect-salesforce/auth/ClientCredentials"
import * as JwtBearer from "@effect-salesforce/auth/JwtBearer"
import * as RefreshToken from "@effect-salesforce/auth/RefreshToken"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import { format as formatEvent, type SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import * as SoapLogin from "@effect-salesforce/auth/SoapLogin"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Salesforce from "@effect-salesforce/client/Salesforce"
import { Emulator } from "@effect-salesforce/emulator"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Supervisor from "effect/Supervisor"
import * as util from "node:util"
import * as v8 from "node:v8"
import * as vm from "node:vm"

// ---------------------------------------------------------------------------
// figures
// ---------------------------------------------------------------------------

/** One recognisable line per measurement: `[reliability] <case> key=value ...`. */
export const figure = (name: string, values: Readonly<Record<string, string | number | boolean>>): void => {
  const text = Object.entries(values).map(([k, v]) => `${k}=${typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2) : v}`)
  console.log(`[reliability] ${name} ${text.join(" ")}`)
}

export const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 100) / 100

// ---------------------------------------------------------------------------
// the secret-leak witness
// ---------------------------------------------------------------------------

/** The emulator's default credentials: every one is a secret the suite looks for. */
export const defaults = {
  username: "user@example.com",
  password: Emulator.defaultOptions.users[0]!.password,
  securityToken: Emulator.defaultOptions.users[0]!.securityToken!,
  clientId: Emulator.defaultOptions.connectedApps[0]!.clientId,
  clientSecret: Emulator.defaultOptions.connectedApps[0]!.clientSecret!,
  refreshToken: Emulator.defaultOptions.connectedApps[0]!.refreshTokens![0]!.token!,
  privateKey: Emulator.defaultJwtPrivateKey
}

interface Hit {
  readonly source: string
  readonly secret: string
  readonly excerpt: string
}

/**
 * Collects every text the suite can see (log lines, events, errors, request-log URLs) and
 * scans it for every secret used. Texts are buffered (deduplicated) and scanned by `flush`,
 * which first asks the live secret sources (emulator sessions, refresh tokens, JWT assertions
 * from request bodies) for secrets issued meanwhile, so a token is known before any text
 * that could carry it is scanned. The buffer is bounded: the event recorder flushes when it
 * holds 4,096 texts.
 */
export const makeWitness = () => {
  const secrets = new Map<string, string>()
  const sources = new Set<Effect.Effect<void>>()
  let pending = new Map<string, string>()
  const hits: Array<Hit> = []
  const scanned: Record<string, number> = {}
  let texts = 0

  const addSecret = (label: string, value: string | undefined): void => {
    if (value === undefined || value.length < 6 || secrets.has(value)) return
    secrets.set(value, label)
  }
  const addPem = (label: string, pem: string): void => {
    addSecret(label, pem)
    addSecret(label, pem.trim())
    // every line of the key body, and the body as one string (a log could unwrap it)
    const body = pem.split("\n").filter((l) => l !== "" && !l.startsWith("-----"))
    for (const line of body) if (line.length >= 16) addSecret(`${label} (a line)`, line)
    addSecret(`${label} (body)`, body.join(""))
  }
  const record = (source: string, text: string): void => {
    scanned[source] = (scanned[source] ?? 0) + 1
    texts += 1
    if (!pending.has(text)) pending.set(text, source)
  }
  const renderings = (value: unknown): Array<string> => {
    const out = [String(value), JSON.stringify(value) ?? "", util.inspect(value, { depth: 12, showHidden: false })]
    if (value instanceof Error) out.push(`${value.message}\n${value.stack ?? ""}`)
    if (Cause.isCause(value)) out.push(Cause.pretty(value, { renderErrorCause: true }))
    return out
  }
  const recordValue = (source: string, value: unknown): void => {
    for (const text of renderings(value)) record(source, text)
  }
  const scanNow = (): void => {
    const all = Array.from(secrets)
    for (const [text, source] of pending) {
      for (const [secret, label] of all) {
        if (text.includes(secret)) {
          const at = text.indexOf(secret)
          hits.push({ source, secret: label, excerpt: text.slice(Math.max(0, at - 60), at).replace(/\s+/g, " ") + "<SECRET>" })
        }
      }
    }
    pending = new Map()
  }
  const flush: Effect.Effect<void> = Effect.suspend(() => Effect.forEach(Array.from(sources), (s) => s, { discard: true })).pipe(
    Effect.zipRight(Effect.sync(scanNow))
  )

  /** A logger that records every line (logfmt and structured JSON, with causes) at any level. */
  const logger = Logger.make<unknown, void>((options) => {
    record("log", Logger.logfmtLogger.log(options))
    record("log", JSON.stringify(Logger.structuredLogger.log(options)))
    if (!Cause.isEmpty(options.cause)) record("log", Cause.pretty(options.cause, { renderErrorCause: true }))
  })
  /** Provide to a test program: every `Effect.log*` down to Debug goes to the witness. */
  const loggerLayer = Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.Debug))

  /** An events bus with a subscriber that records every event (String, JSON, inspect, format). */
  const bus = (capacity = 65_536): Layer.Layer<SalesforceEvents.SalesforceEvents> =>
    Layer.scoped(
      SalesforceEvents.SalesforceEvents,
      Effect.gen(function*() {
        const bus = yield* SalesforceEvents.make({ capacity })
        const queue = yield* bus.subscribe
        const take = (event: SalesforceEvent) => {
          eventCount += 1
          record("event", String(event))
          record("event", JSON.stringify(event))
          record("event", util.inspect(event, { depth: 12 }))
          record("event", formatEvent(event))
        }
        const drain = Effect.flatMap(Queue.takeAll(queue), (events) =>
          Effect.gen(function*() {
            for (const e of events) take(e)
            if (pending.size >= 4096) yield* flush
          }))
        yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Queue.take(queue).pipe(Effect.map(take)), drain)))
        yield* Effect.addFinalizer(() => drain)
        return bus
      })
    )
  let eventCount = 0

  return {
    addSecret,
    addPem,
    record,
    recordValue,
    flush,
    loggerLayer,
    bus,
    /** Register a source of secrets issued at run time (removed when the scope closes). */
    source: (effect: Effect.Effect<void>) =>
      Effect.acquireRelease(Effect.sync(() => sources.add(effect)), () => Effect.sync(() => sources.delete(effect))),
    get events() {
      return eventCount
    },
    get hits(): ReadonlyArray<Hit> {
      return hits
    },
    /** Flush, then assert that no secret was seen anywhere; returns the figures. */
    assertClean: Effect.gen(function*() {
      yield* flush
      const summary: Record<string, number> = { secrets: secrets.size, texts, events: eventCount, ...scanned, hits: hits.length }
      assert.deepStrictEqual(
        hits.map((h) => `${h.secret} in ${h.source}: …${h.excerpt}`),
        [],
        "a secret leaked"
      )
      return summary
    })
  }
}

export type Witness = ReturnType<typeof makeWitness>

/**
 * Assert that a file's scan saw texts from each of `sources` (errors, events, log lines,
 * request URLs): a clean scan of nothing proves nothing.
 */
export const assertScanned = (summary: Readonly<Record<string, number>>, sources: ReadonlyArray<string>): void => {
  for (const source of sources) assert.isAbove(summary[source] ?? 0, 0, `texts from "${source}" were scanned`)
}

/** The witness of this test file (each vitest file has its own module instance). */
export const witness = makeWitness()
witness.addSecret("password", defaults.password)
witness.addSecret("security token", defaults.securityToken)
witness.addSecret("password+token", defaults.password + defaults.securityToken)
witness.addSecret("client secret", defaults.clientSecret)
witness.addSecret("refresh token", defaults.refreshToken)
witness.addPem("private key", defaults.privateKey)

/** Record a failure (error, cause or exit) the way a user would print it. */
export const seen = <A>(value: A): A => {
  witness.recordValue("error", value)
  return value
}

// ---------------------------------------------------------------------------
// emulator
// ---------------------------------------------------------------------------

const assertionOf = (body: string): string | undefined => {
  if (!body.includes("assertion=")) return undefined
  return new URLSearchParams(body).get("assertion") ?? undefined
}

/**
 * Start an emulator for the scope, and teach the witness about it: every session token and
 * refresh token it issues and every JWT assertion it receives become secrets, and every URL
 * (path and query) of its request log is scanned.
 */
export const emulator = (options: Emulator.Options = {}): Effect.Effect<Emulator.Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const service = yield* Emulator.make(options)
    const { control } = service
    const learn = Effect.gen(function*() {
      for (const s of yield* control.sessions) witness.addSecret("access token", s.token)
      for (const r of yield* control.refreshTokens) witness.addSecret("refresh token", r.token)
      for (const entry of yield* control.requestLog) {
        const assertion = assertionOf(entry.body)
        if (assertion !== undefined) {
          witness.addSecret("JWT assertion", assertion)
          witness.addSecret("JWT signature", assertion.split(".")[2])
        }
      }
    })
    const urls = Effect.gen(function*() {
      for (const entry of yield* control.requestLog) witness.record("url", entry.path)
      for (const path of Object.keys((yield* control.counters).requestsPerPath)) witness.record("url", path)
    })
    yield* witness.source(learn)
    // runs before the emulator stops: read its log while it is alive
    yield* Effect.addFinalizer(() => Effect.zipRight(Effect.zipRight(learn, urls), witness.flush))
    return service
  })

// ---------------------------------------------------------------------------
// auth methods and the client
// ---------------------------------------------------------------------------

/** Short real-time retries (3 retries, 5 ms doubling): faults are survived without long waits. */
export const quickRetries = RetryPolicy.make({
  schedule: Schedule.exponential("5 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
})

export type Method = "SoapLogin" | "ClientCredentials" | "JwtBearer" | "RefreshToken"
export const allMethods: ReadonlyArray<Method> = ["SoapLogin", "ClientCredentials", "JwtBearer", "RefreshToken"]

/** Options every method accepts besides its credentials. */
export interface Common {
  readonly failureCooldown?: Duration.DurationInput
  readonly requestTimeout?: Duration.DurationInput
  readonly acquireTimeout?: Duration.DurationInput
  readonly proactiveRefresh?: boolean
}

/** A method's layer with the emulator's default credentials. */
export const methodLayer = (method: Method, common: Common = {}) => {
  switch (method) {
    case "SoapLogin":
      return SoapLogin.layer({
        username: defaults.username,
        password: Redacted.make(defaults.password),
        securityToken: Redacted.make(defaults.securityToken),
        ...common
      })
    case "ClientCredentials":
      return ClientCredentials.layer({ clientId: defaults.clientId, clientSecret: Redacted.make(defaults.clientSecret), ...common })
    case "JwtBearer":
      return JwtBearer.layer({
        clientId: defaults.clientId,
        username: defaults.username,
        privateKey: Redacted.make(defaults.privateKey),
        ...common
      })
    case "RefreshToken":
      return RefreshToken.layer({
        clientId: defaults.clientId,
        clientSecret: Redacted.make(defaults.clientSecret),
        refreshToken: Redacted.make(defaults.refreshToken),
        ...common
      })
  }
}

/** The emulator's grant counter name of each method. */
export const grantName: Record<Method, string> = {
  SoapLogin: "soap",
  ClientCredentials: "client_credentials",
  JwtBearer: "jwt_bearer",
  RefreshToken: "refresh_token"
}

export const tokenPath = (method: Method): string =>
  method === "SoapLogin" ? "/services/Soap/u/64.0" : "/services/oauth2/token"

export const v = "/services/data/v64.0"

/** Config, a witnessed bus and undici, for a base URL. */
export const baseLayer = (baseUrl: string, transport: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici) =>
  Layer.mergeAll(
    Layer.orDie(SalesforceConfig.layer({ baseUrl, apiVersion: "64.0" })),
    witness.bus(),
    transport
  )

/**
 * An emulator and a `Salesforce` client authenticated by `method`, all over real HTTP, all
 * living as long as the scope. `counters` reads the emulator; `grants` counts successful
 * token grants of the method.
 */
export const connect = (
  method: Method,
  options: {
    readonly emulator?: Emulator.Options
    readonly common?: Common
    readonly client?: Salesforce.Salesforce.Options
    readonly retry?: RetryPolicy.Policy
    readonly transport?: Layer.Layer<HttpClient.HttpClient>
  } = {}
) =>
  Effect.gen(function*() {
    const emu = yield* emulator(options.emulator)
    const retry = RetryPolicy.layer(options.retry ?? quickRetries)
    const context = yield* Layer.build(
      methodLayer(method, options.common).pipe(
        Layer.provideMerge(baseLayer(emu.baseUrl, options.transport)),
        Layer.provideMerge(retry),
        Layer.orDie
      )
    )
    const sf = yield* Salesforce.make({ retryPolicy: options.retry ?? quickRetries, ...options.client }).pipe(
      Effect.provide(context)
    )
    const provider = yield* Effect.provide(TokenProvider.TokenProvider, context)
    const bus = yield* Effect.provide(SalesforceEvents.SalesforceEvents, context)
    const { control } = emu
    const grants = Effect.map(control.counters, (c) => c.grantsPerType[grantName[method]] ?? 0)
    const requestsTo = (path: string) => Effect.map(control.counters, (c) => c.requestsPerPath[path] ?? 0)
    return { sf, provider, bus, control, baseUrl: emu.baseUrl, grants, requestsTo, context }
  })

/** Wait (without a clock) for the first event that matches, from a subscription taken now. */
export const nextEvent = (
  bus: SalesforceEvents.SalesforceEvents.Service,
  predicate: (event: SalesforceEvent) => boolean
) =>
  Effect.gen(function*() {
    const queue = yield* bus.subscribe
    return Effect.gen(function*() {
      while (true) {
        const event = yield* Queue.take(queue)
        if (predicate(event)) return event
      }
    })
  })

/** Fail (instead of hanging) when `effect` takes longer than `limit`: a hang is a test failure. */
export const noHang = (limit: Duration.DurationInput, what: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.timeoutFail(effect, { duration: limit, onTimeout: () => new Error(`hung: ${what} did not settle within ${Duration.format(Duration.decode(limit))}`) })

// ---------------------------------------------------------------------------
// loopback stub transport (no sockets)
// ---------------------------------------------------------------------------

/**
 * An in-process `HttpClient` that answers like the emulator's happy path: the token endpoint
 * with a client-credentials grant, anything under `/services/data` with a small record. It
 * keeps no per-request state, so memory measured through it is the pipeline's.
 */
export const stubTransport = (token: string, instanceUrl = "https://acme.my.salesforce.com") => {
  let requests = 0
  const tokenBody = JSON.stringify({ access_token: token, instance_url: instanceUrl, token_type: "Bearer", issued_at: "1" })
  const recordBody = JSON.stringify({ attributes: { type: "Account" }, Id: "001000000000001AAA", Name: "Acme" })
  const headers = { "content-type": "application/json;charset=UTF-8", "sforce-limit-info": "api-usage=1/15000" }
  const client = HttpClient.make((request: HttpClientRequest.HttpClientRequest, url: URL) =>
    Effect.sync(() => {
      requests += 1
      const body = url.pathname === "/services/oauth2/token" ? tokenBody : recordBody
      return HttpClientResponse.fromWeb(request, new Response(body, { status: 200, headers }))
    })
  )
  return { layer: Layer.succeed(HttpClient.HttpClient, client), requests: () => requests }
}

// ---------------------------------------------------------------------------
// resources: fibers, sockets, heap
// ---------------------------------------------------------------------------

/** `gc()` even without `--expose-gc` (flag set at run time, function taken from a new context). */
export const gc: () => void = (() => {
  const existing = (globalThis as { gc?: () => void }).gc
  if (existing !== undefined) return existing
  try {
    v8.setFlagsFromString("--expose-gc")
    return vm.runInNewContext("gc") as () => void
  } catch {
    return () => {}
  }
})()

export const heapUsed = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/** Open TCP sockets of this process (client and server side). */
export const openSockets = (): number => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length

/** Listening TCP servers of this process. */
export const openServers = (): number => process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length

/**
 * Wait until closed sockets are released by libuv (they leave the active-resource list a few
 * event-loop turns after `destroy`) and no server listens: polls every 10 ms, at most 3 s;
 * resolves with the socket count then.
 */
export const settledSockets = (target: number) =>
  Effect.promise(async () => {
    for (let i = 0; i < 300 && (openSockets() > target || openServers() > 0); i++) await new Promise((r) => setTimeout(r, 10))
    return openSockets()
  })

export const rootFibers = Effect.map(Fiber.roots, (roots) => roots.length)

/** Run `effect` under a supervisor that tracks every fiber forked inside it. */
export const tracked = <A, E, R>(effect: (alive: Effect.Effect<number>) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(Supervisor.track, (supervisor) => {
    const alive = Effect.map(supervisor.value, (fibers) => fibers.length)
    return Effect.map(Effect.supervised(effect(alive), supervisor), (a) => [a, alive] as const)
  })

/** A seeded PRNG (mulberry32), so "random" interruptions are reproducible. */
export const prng = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
