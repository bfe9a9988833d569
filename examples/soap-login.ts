/**
 * SOAP `login()` with username, password and security token, configured from the environment.
 *
 *   npx tsx examples/soap-login.ts
 *
 * Against a real org: SALESFORCE_BASE_URL (https://<MyDomain>.my.salesforce.com or
 * https://login.salesforce.com), SALESFORCE_USERNAME, SALESFORCE_PASSWORD and
 * SALESFORCE_SECURITY_TOKEN (omit it from a trusted IP range). Without SALESFORCE_BASE_URL it runs
 * against an embedded emulator.
 *
 * SOAP login() is being retired (gone from API 65.0, off by default in orgs created from
 * Winter '26): prefer client-credentials.ts or jwt-bearer.ts for new integrations.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { SoapLogin, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Console, Effect, Layer, Option, type Scope, Stream } from "effect"
import { runIfMain } from "./internal/main.js"
import { withOrg } from "./internal/org.js"

const program = Effect.gen(function*() {
  const token = yield* (yield* TokenProvider.TokenProvider).get
  const expiry = Option.match(token.expiresAt, {
    onNone: () => "expiry unknown",
    onSome: (at) => `expires ${new Date(at.epochMillis).toISOString()}` // sessionSecondsValid after login
  })
  // the token is Redacted: printing it shows <redacted>, never the session id
  yield* Console.log(`✔ logged in to ${token.instanceUrl} (${expiry}), token ${String(token.value)}`)

  const sf = yield* Salesforce.Salesforce
  const accounts = yield* sf.query("SELECT Id, Name FROM Account ORDER BY Name LIMIT 5").pipe(Stream.runCollect)
  yield* Console.log(`✔ ${accounts.length} accounts: ${Array.from(accounts, (a) => String(a.Name)).join(", ")}`)
})

// The layer graph, composed once: the client, its events bus and config, the auth method; then the transport.
const SalesforceLive = Salesforce.layerWith(SoapLogin.layerConfig(), { clientName: "effect-salesforce-examples" }).pipe(
  Layer.provide(NodeHttpClient.layerUndici)
)

export const main: Effect.Effect<void, unknown, Scope.Scope> = program.pipe(
  Effect.provide(SalesforceLive), // provided once, at the edge
  withOrg("SoapLogin")
)

runIfMain(import.meta.url, main)
