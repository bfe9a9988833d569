/**
 * A fleet sharing one token: four worker processes, each with its own `Salesforce` client and
 * token provider, log in once between them through a Redis `TokenStore`.
 *
 *   npx tsx examples/fleet.ts
 *
 * Each worker is this file run again with FLEET_MEMBER=1 (as a pod or a cluster worker would be
 * started): it runs 25 concurrent queries and says whether it logged in itself. Against a real
 * org: SALESFORCE_BASE_URL, SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET (client credentials,
 * as in client-credentials.ts) and REDIS_URL. Without SALESFORCE_BASE_URL an emulator is started;
 * without REDIS_URL a throwaway `redis-server` (Debian's `redis-server` package, on PATH) is
 * started on a free loopback port, without persistence, and stopped at the end.
 */
import { spawn } from "node:child_process"
import * as Crypto from "node:crypto"
import { fileURLToPath } from "node:url"
import { NodeHttpClient } from "@effect/platform-node"
import { ClientCredentials, SalesforceEvents, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Emulator } from "@effect-salesforce/emulator"
import { RedisTokenStore } from "@effect-salesforce/redis"
import { Chunk, Console, Effect, Layer, Option, Queue, Redacted, type Scope, Stream } from "effect"
import { startRedis, whichRedis } from "../packages/redis/test/globalSetup.js"
import { runIfMain } from "./internal/main.js"
import { emulatorVariables, hasRealOrg } from "./internal/org.js"

// ---------------------------------------------------------------------------
// What every process of the fleet runs: the only difference from a single process is the
// store under the auth layer. REDIS_URL (and the optional SALESFORCE_TOKEN_STORE_KEY, which
// encrypts what is stored) come from the environment.
// ---------------------------------------------------------------------------

const MemberLive = Salesforce.layerWith(
  ClientCredentials.layerConfig().pipe(Layer.provide(RedisTokenStore.layerConfig())),
  { clientName: "effect-salesforce-examples" }
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const member = Effect.gen(function*() {
  const tokenCalls = yield* (yield* SalesforceEvents.SalesforceEvents).subscribe
  const sf = yield* Salesforce.Salesforce
  const results = yield* Effect.all(
    Array.from({ length: 25 }, () => sf.query("SELECT Id, Name FROM Account LIMIT 1").pipe(Stream.runCollect)),
    { concurrency: "unbounded" }
  )
  const token = yield* (yield* TokenProvider.TokenProvider).get
  const loggedIn = Chunk.some(
    yield* Queue.takeAll(tokenCalls),
    (event) => event._tag === "Request" && event.source === "auth"
  )
  // a fingerprint, never the token
  const fingerprint = Crypto.createHash("sha256").update(Redacted.value(token.value)).digest("hex").slice(0, 12)
  yield* Console.log(
    `pid ${process.pid}: ${results.length} queries, token ${fingerprint}, ` +
      (loggedIn ? "logged in itself" : "took the fleet's token from Redis")
  )
}).pipe(Effect.provide(MemberLive))

// ---------------------------------------------------------------------------
// The launcher: an org (or an emulator), a Redis (or a throwaway one), four members.
// ---------------------------------------------------------------------------

const self = fileURLToPath(import.meta.url)

/** Runs this file as a fleet member with `env`; fails if it exits with anything but 0. */
const runMember = (env: Record<string, string>) =>
  Effect.async<void, Error>((resume) => {
    const child = spawn(process.execPath, ["--conditions=@effect-salesforce/source", "--import", "tsx", self], {
      env: { ...process.env, ...env, FLEET_MEMBER: "1" },
      stdio: ["ignore", "inherit", "inherit"]
    })
    child.once("error", (error) => resume(Effect.fail(error)))
    child.once("exit", (code) =>
      resume(code === 0 ? Effect.void : Effect.fail(new Error(`fleet member ${child.pid} exited with ${code}`))))
    return Effect.sync(() => child.kill("SIGTERM"))
  })

/** REDIS_URL, or a throwaway redis-server stopped with the scope. */
const redisUrl: Effect.Effect<string, Error, Scope.Scope> = Effect.suspend(() => {
  const url = process.env.REDIS_URL
  if (url !== undefined && url !== "") return Effect.succeed(url)
  const binary = whichRedis()
  if (binary === undefined) {
    return Effect.fail(new Error("REDIS_URL is not set and redis-server is not on PATH (apt-get install -y redis-server)"))
  }
  return Effect.acquireRelease(
    Effect.tryPromise({ try: () => startRedis(binary), catch: (e) => new Error(`redis-server did not start: ${e}`) }),
    (server) => Effect.sync(() => server.process.kill("SIGTERM"))
  ).pipe(
    Effect.tap((server) => Console.log(`REDIS_URL is not set: started a throwaway redis-server at ${server.url}`)),
    Effect.map((server) => server.url)
  )
})

const launcher = Effect.gen(function*() {
  const REDIS_URL = yield* redisUrl
  const emulator = hasRealOrg() ? Option.none() : Option.some(yield* Emulator.make())
  const variables = Option.match(emulator, {
    onNone: () => ({}),
    onSome: (e) => emulatorVariables("ClientCredentials", e.baseUrl)
  })
  yield* Console.log(
    Option.isSome(emulator)
      ? `SALESFORCE_BASE_URL is not set: started an emulator at ${emulator.value.baseUrl}`
      : `Using the org at ${process.env.SALESFORCE_BASE_URL}`
  )
  // store entries are keyed by login host (the emulator's port included), method and client id
  const env = { ...variables, REDIS_URL }
  yield* Effect.all(Array.from({ length: 4 }, () => runMember(env)), { concurrency: "unbounded" })
  if (Option.isSome(emulator)) {
    const counters = yield* emulator.value.control.counters
    const logins = counters.grantsPerType["client_credentials"] ?? 0
    yield* Console.log(`✔ 4 processes × 25 queries: ${logins} login${logins === 1 ? "" : "s"} at Salesforce in all`)
    if (logins !== 1) return yield* Effect.fail(new Error(`expected one login for the fleet, saw ${logins}`))
  }
})

export const main: Effect.Effect<void, unknown, Scope.Scope> = process.env.FLEET_MEMBER === "1" ? member : launcher

runIfMain(import.meta.url, main)
