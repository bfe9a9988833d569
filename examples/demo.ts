/**
 * The main job: every auth method against the embedded Salesforce emulator, with the event
 * stream printed as a live log.
 *
 *   npm run demo
 *
 * Point it at a real org instead by setting SALESFORCE_BASE_URL and the credentials of one method
 * (see README.md, "Running the demo against a real org").
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import {
  ClientCredentials,
  JwtBearer,
  RefreshToken,
  SalesforceConfig,
  SalesforceEvent,
  SalesforceEvents,
  SoapLogin,
  TokenProvider
} from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Emulator } from "@effect-salesforce/emulator"
import { Console, Duration, Effect, Layer, Option, Redacted, Ref, type Scope, Stream } from "effect"
import { generateKeyPairSync } from "node:crypto"
import { realOrgDemo } from "./internal/realOrg.js"

const defaults = Emulator.defaultOptions
const user = defaults.users[0]!
const app = defaults.connectedApps[0]!

const heading = (title: string) => Console.log(`\n━━ ${title}`)
const line = (text: string) => Console.log(`   ${text}`)

/** Prints every event as it arrives; client request/response lines can be muted during load. */
const eventLog = (quiet: Ref.Ref<boolean>) =>
  Effect.gen(function*() {
    const bus = yield* SalesforceEvents.SalesforceEvents
    const events = yield* bus.stream
    yield* Stream.runForEach(events, (event) =>
      Effect.flatMap(Ref.get(quiet), (muted) =>
        muted && ((event._tag === "Request" || event._tag === "Response") && event.source === "client" || event._tag === "ApiUsage")
          ? Effect.void
          : Console.log(`     · ${SalesforceEvent.format(event)}`))).pipe(Effect.forkScoped)
  })

/** Let the event printer catch up before the next heading. */
const settle = Effect.sleep("40 millis")

const describeToken = (provider: TokenProvider.TokenProvider.Service) =>
  Effect.gen(function*() {
    const token = yield* provider.get
    const expiry = Option.match(token.expiresAt, {
      onNone: () => "kept until Salesforce rejects it",
      onSome: (at) => `expires ${new Date(at.epochMillis).toISOString()}`
    })
    yield* line(`✔ token for ${token.instanceUrl} (${expiry}); printed as ${String(token.value)}`)
  })

const emulatorDemo = Effect.gen(function*() {
  yield* Console.log("effect-salesforce demo: starting the Salesforce emulator on loopback…")
  const accounts = Array.from({ length: 8 }, (_, i) => ({ Name: `Account ${i + 1}`, Industry: i % 2 ? "Energy" : "Retail" }))
  const { baseUrl, control } = yield* Emulator.make({ queryBatchSize: 3, refreshTokenRotation: true, seed: { Account: accounts } })
  yield* line(`emulator at ${baseUrl}`)

  const bus = yield* SalesforceEvents.make()
  const quiet = yield* Ref.make(false)
  const env = Layer.mergeAll(
    SalesforceConfig.layer({ baseUrl }),
    Layer.succeed(SalesforceEvents.SalesforceEvents, bus),
    NodeHttpClient.layerUndici
  )
  const context = yield* Layer.build(env)
  const run = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, context)

  yield* run(eventLog(quiet))

  // 1. SOAP login
  yield* heading("SOAP login (username, password + security token)")
  const soap = yield* run(SoapLogin.make({
    username: user.username,
    password: Redacted.make(user.password),
    securityToken: Redacted.make(user.securityToken ?? "")
  }))
  yield* run(describeToken(soap))
  yield* settle

  // 2. Client credentials
  yield* heading("OAuth 2.0 client credentials")
  const cc = yield* run(ClientCredentials.make({ clientId: app.clientId, clientSecret: Redacted.make(app.clientSecret ?? "") }))
  yield* run(describeToken(cc))
  yield* settle

  // 3. JWT bearer with a key generated on the fly
  yield* heading("OAuth 2.0 JWT bearer (RS256, key generated now, certificate registered with the emulator)")
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 })
  yield* control.addConnectedApp({
    clientId: "3MVG9DemoJwtApp",
    publicKey: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
    grants: ["jwt_bearer"]
  })
  const jwt = yield* run(JwtBearer.make({
    clientId: "3MVG9DemoJwtApp",
    username: user.username,
    privateKey: Redacted.make(keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString())
  }))
  yield* run(describeToken(jwt))
  yield* settle

  // 4. Refresh token, with rotation
  yield* heading("OAuth 2.0 refresh token (rotation on: each refresh returns a new refresh token)")
  const refresh = yield* run(RefreshToken.make({
    clientId: app.clientId,
    clientSecret: Redacted.make(app.clientSecret ?? ""),
    refreshToken: Redacted.make(app.refreshTokens?.[0]?.token ?? ""),
    onRotate: () => line("onRotate: the new refresh token would be persisted here")
  }))
  yield* run(describeToken(refresh))
  yield* run(refresh.refresh())
  yield* run(refresh.refresh())
  yield* line("✔ two refreshes, each with the rotated token")
  yield* settle

  // 5. Query across pages
  yield* heading("Query streaming records across pages (emulator batch size 3)")
  const sf = yield* run(Salesforce.make({ clientName: "effect-salesforce-demo" })).pipe(
    Effect.provideService(SalesforceEvents.SalesforceEvents, bus),
    Effect.provideService(TokenProvider.TokenProvider, cc)
  )
  const names = yield* sf.query("SELECT Id, Name FROM Account WHERE Industry = 'Retail'").pipe(
    Stream.map((record) => String(record.Name)),
    Stream.runCollect
  )
  yield* line(`✔ ${names.length} records: ${Array.from(names).join(", ")}`)
  const firstFive = yield* sf.query("SELECT Id, Name FROM Account").pipe(Stream.take(2), Stream.runCollect)
  yield* line(`✔ taking ${firstFive.length} records fetched one page only`)
  yield* settle

  // 6. Expired session, recovered by one refresh under load
  yield* heading("Every session expires; 200 concurrent requests recover with ONE refresh")
  yield* control.expireAllSessions
  const before = (yield* control.counters).grantsPerType["client_credentials"] ?? 0
  yield* Ref.set(quiet, true)
  const results = yield* Effect.all(
    Array.from({ length: 200 }, () => Effect.either(sf.limits)),
    { concurrency: "unbounded" }
  )
  yield* settle
  yield* Ref.set(quiet, false)
  const after = (yield* control.counters).grantsPerType["client_credentials"] ?? 0
  const failures = results.filter((r) => r._tag === "Left").length
  yield* line(`✔ 200 requests, ${failures} failures, ${after - before} new client-credentials grant(s)`)

  // 7. Proactive refresh
  yield* heading("Proactive refresh: an 8-second session is refreshed in the background before it expires")
  yield* control.setSessionLifetime("8 seconds")
  const shortLived = yield* run(SoapLogin.make({
    username: user.username,
    password: Redacted.make(user.password),
    securityToken: Redacted.make(user.securityToken ?? ""),
    expiryMargin: "1 second",
    proactiveRefresh: { ahead: "2 seconds" }
  }))
  const first = yield* shortLived.get
  // the refresh point: 2 s ahead of the margin (at 5 s), and never sooner than 5 s after a login
  yield* line("waiting 6 s for the refresh point…")
  yield* Effect.sleep("6 seconds")
  const second = yield* shortLived.get
  yield* line(`✔ the token was replaced in the background: ${Redacted.value(first.value) !== Redacted.value(second.value)}; no caller waited`)
  yield* control.setSessionLifetime(Duration.hours(2))
  yield* settle

  // 8. A failed login and its clear error
  yield* heading("A wrong password: one failed login, a clear error, no login storm")
  const wrong = yield* run(SoapLogin.make({ username: user.username, password: Redacted.make("not-the-password") }))
  const errors = yield* Effect.all(Array.from({ length: 20 }, () => Effect.flip(wrong.get)), { concurrency: "unbounded" })
  yield* line(`✘ ${errors[0]!._tag}: ${errors[0]!.message}`)
  const failed = (yield* control.counters).failedLoginsPerUser[user.username] ?? 0
  yield* line(`✔ 20 concurrent callers, ${failed} failed login at Salesforce (the rest shared it, then the cool-down answered)`)
  yield* settle

  yield* Console.log("\nDone.")
})

const program: Effect.Effect<void, unknown, Scope.Scope> = process.env.SALESFORCE_BASE_URL === undefined
  ? emulatorDemo
  : realOrgDemo

NodeRuntime.runMain(Effect.scoped(program))
