/**
 * The demo against a real org: picks the auth method from the environment, logs in, streams a
 * few accounts and reads the org's API usage. Nothing here writes to the org.
 */
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
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
import { Console, Effect, Layer, Stream } from "effect"

const env = (name: string) => process.env[name] !== undefined && process.env[name] !== ""

/** The method whose credentials are present, in this order of preference. */
const authLayer = () => {
  if (env("SALESFORCE_CLIENT_SECRET") && !env("SALESFORCE_REFRESH_TOKEN")) {
    return { name: "ClientCredentials", layer: ClientCredentials.layerConfig() }
  }
  if (env("SALESFORCE_PRIVATE_KEY") || env("SALESFORCE_PRIVATE_KEY_FILE")) {
    return { name: "JwtBearer", layer: JwtBearer.layerConfig().pipe(Layer.provide(NodeFileSystem.layer)) }
  }
  if (env("SALESFORCE_REFRESH_TOKEN")) return { name: "RefreshToken", layer: RefreshToken.layerConfig() }
  return { name: "SoapLogin", layer: SoapLogin.layerConfig() }
}

export const realOrgDemo = Effect.gen(function*() {
  const { layer, name } = authLayer()
  yield* Console.log(`effect-salesforce demo against ${process.env.SALESFORCE_BASE_URL} with ${name}`)
  const program = Effect.gen(function*() {
    const bus = yield* SalesforceEvents.SalesforceEvents
    const events = yield* bus.stream
    yield* Effect.forkScoped(Stream.runForEach(events, (e) => Console.log(`     · ${SalesforceEvent.format(e)}`)))
    const token = yield* (yield* TokenProvider.TokenProvider).get
    yield* Console.log(`   ✔ logged in; instance ${token.instanceUrl}`)
    const sf = yield* Salesforce.Salesforce
    const accounts = yield* sf.query("SELECT Id, Name FROM Account ORDER BY CreatedDate DESC LIMIT 5").pipe(Stream.runCollect)
    yield* Console.log(`   ✔ ${accounts.length} accounts: ${Array.from(accounts, (a) => String(a.Name)).join(", ")}`)
    const limits = yield* sf.limits
    const daily = limits["DailyApiRequests"]
    if (daily !== undefined) yield* Console.log(`   ✔ daily API requests: ${daily.Max - daily.Remaining}/${daily.Max}`)
    yield* Effect.sleep("50 millis")
  })
  const base = Layer.mergeAll(SalesforceConfig.layerConfig(), SalesforceEvents.layer(), NodeHttpClient.layerUndici)
  const services = Salesforce.layer({ clientName: "effect-salesforce-demo" }).pipe(
    Layer.provideMerge(layer),
    Layer.provideMerge(base)
  )
  yield* Effect.scoped(Effect.provide(program, services))
})
