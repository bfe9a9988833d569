/**
 * The OAuth 2.0 client-credentials flow, configured from the environment.
 *
 *   npx tsx examples/client-credentials.ts
 *
 * Against a real org: SALESFORCE_BASE_URL (the org's My Domain,
 * https://<MyDomain>.my.salesforce.com: login.salesforce.com does not serve this flow),
 * SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET of a connected app (or External Client App)
 * with the client-credentials flow enabled and a Run-As user. Without SALESFORCE_BASE_URL it runs
 * against an embedded emulator.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { ClientCredentials, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Console, Effect, Layer, Option, type Scope, Stream } from "effect"
import { runIfMain } from "./internal/main.js"
import { withOrg } from "./internal/org.js"

const program = Effect.gen(function*() {
  const token = yield* (yield* TokenProvider.TokenProvider).get
  const expiry = Option.match(token.expiresAt, {
    onNone: () => "expiry unknown: kept until Salesforce rejects it",
    onSome: (at) => `expires ${new Date(at.epochMillis).toISOString()}, learnt by introspection`
  })
  yield* Console.log(`✔ logged in to ${token.instanceUrl} (${expiry}), token ${String(token.value)}`)

  const sf = yield* Salesforce.Salesforce
  const accounts = yield* sf.query("SELECT Id, Name FROM Account ORDER BY Name LIMIT 5").pipe(Stream.runCollect)
  yield* Console.log(`✔ ${accounts.length} accounts: ${Array.from(accounts, (a) => String(a.Name)).join(", ")}`)
})

// Salesforce's token response carries no lifetime: give the app's "Timeout Value" as
// `tokenLifetime`, or let the provider ask `/services/oauth2/introspect` (one extra call per token).
// `layerWith` adds the config (SALESFORCE_BASE_URL), the events bus and the client: only the transport is left.
const SalesforceLive = Salesforce.layerWith(ClientCredentials.layerConfig({ introspect: true }), {
  clientName: "effect-salesforce-examples"
}).pipe(Layer.provide(NodeHttpClient.layerUndici))

export const main: Effect.Effect<void, unknown, Scope.Scope> = program.pipe(
  Effect.provide(SalesforceLive),
  withOrg("ClientCredentials")
)

runIfMain(import.meta.url, main)
