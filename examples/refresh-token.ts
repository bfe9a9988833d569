/**
 * The OAuth 2.0 refresh-token flow, configured from the environment, keeping rotated refresh
 * tokens.
 *
 *   npx tsx examples/refresh-token.ts
 *
 * Against a real org: SALESFORCE_BASE_URL, SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET
 * (optional: omit it for a public client) and SALESFORCE_REFRESH_TOKEN (obtained once through the
 * web-server or device flow). Without SALESFORCE_BASE_URL it runs against an embedded emulator
 * with refresh-token rotation on.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { RefreshToken, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Console, Effect, Layer, Redacted, type Scope, Stream } from "effect"
import { runIfMain } from "./internal/main.js"
import { withOrg } from "./internal/org.js"

const program = Effect.gen(function*() {
  const tokens = yield* TokenProvider.TokenProvider
  const token = yield* tokens.get
  yield* Console.log(`✔ logged in to ${token.instanceUrl}, token ${String(token.value)}`)

  const sf = yield* Salesforce.Salesforce
  const accounts = yield* sf.query("SELECT Id, Name FROM Account ORDER BY Name LIMIT 5").pipe(Stream.runCollect)
  yield* Console.log(`✔ ${accounts.length} accounts: ${Array.from(accounts, (a) => String(a.Name)).join(", ")}`)

  // A forced refresh: with rotation, the response carries a new refresh token and `onRotate` runs.
  yield* tokens.refresh()
  yield* Console.log("✔ refreshed once more")
})

// `onRotate` is where the new refresh token is persisted (a vault, a secrets manager, a file):
// with rotation the old one is dead, and a process restarted with it could not log in.
const Auth = RefreshToken.layerConfig({
  onRotate: (refreshToken) =>
    Console.log(`  onRotate: persist the new refresh token (${Redacted.value(refreshToken).length} characters) here`)
})
const SalesforceLive = Salesforce.layerWith(Auth, { clientName: "effect-salesforce-examples" }).pipe(
  Layer.provide(NodeHttpClient.layerUndici)
)

export const main: Effect.Effect<void, unknown, Scope.Scope> = program.pipe(
  Effect.provide(SalesforceLive),
  withOrg("RefreshToken", { refreshTokenRotation: true })
)

runIfMain(import.meta.url, main)
