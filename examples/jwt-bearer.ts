/**
 * The OAuth 2.0 JWT bearer flow, configured from the environment.
 *
 *   npx tsx examples/jwt-bearer.ts
 *
 * Against a real org: SALESFORCE_BASE_URL, SALESFORCE_CLIENT_ID (the connected app holding the
 * certificate), SALESFORCE_USERNAME (a pre-authorised user), and the private key as PEM text in
 * SALESFORCE_PRIVATE_KEY (literal `\n`s are accepted) or as a path in SALESFORCE_PRIVATE_KEY_FILE;
 * optionally SALESFORCE_PRIVATE_KEY_PASSPHRASE and SALESFORCE_JWT_AUDIENCE (default
 * https://login.salesforce.com, or https://test.salesforce.com for sandbox hosts). Without
 * SALESFORCE_BASE_URL it runs against an embedded emulator, signing with
 * `Emulator.defaultJwtPrivateKey`.
 */
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { JwtBearer, SalesforceConfig, SalesforceEvents, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Console, Effect, Layer, Option, type Scope, Stream } from "effect"
import { runIfMain } from "./internal/main.js"
import { withOrg } from "./internal/org.js"

const program = Effect.gen(function*() {
  const token = yield* (yield* TokenProvider.TokenProvider).get
  const expiry = Option.match(token.expiresAt, {
    onNone: () => "expiry unknown",
    onSome: (at) => `treated as expiring ${new Date(at.epochMillis).toISOString()}`
  })
  yield* Console.log(`✔ logged in to ${token.instanceUrl} (${expiry}), token ${String(token.value)}`)

  const sf = yield* Salesforce.Salesforce
  const accounts = yield* sf.query("SELECT Id, Name FROM Account ORDER BY Name LIMIT 5").pipe(Stream.runCollect)
  yield* Console.log(`✔ ${accounts.length} accounts: ${Array.from(accounts, (a) => String(a.Name)).join(", ")}`)
})

// The key is parsed once, when the layer is built: a bad key or passphrase fails here, not at the
// first request. `timeout` is the connected app's session "Timeout Value": the JWT token response
// carries no lifetime. NodeFileSystem is only needed for SALESFORCE_PRIVATE_KEY_FILE.
const SalesforceLive = Salesforce.layer({ clientName: "effect-salesforce-examples" }).pipe(
  Layer.provideMerge(JwtBearer.layerConfig({ tokenLifetime: "2 hours" })),
  Layer.provideMerge(Layer.mergeAll(
    SalesforceConfig.layerConfig(),
    SalesforceEvents.layer(),
    NodeHttpClient.layerUndici,
    NodeFileSystem.layer
  ))
)

export const main: Effect.Effect<void, unknown, Scope.Scope> = program.pipe(
  Effect.provide(SalesforceLive),
  withOrg("JwtBearer")
)

runIfMain(import.meta.url, main)
