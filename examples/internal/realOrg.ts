/**
 * The demo against a real org: picks the auth method from the environment, logs in, streams a
 * few accounts and reads the org's API usage. Nothing here writes to the org.
 */
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { AuthMethod, SalesforceEvent, SalesforceEvents, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Console, Effect, Layer, Stream } from "effect"

export const realOrgDemo = Effect.gen(function*() {
  // the method whose variables are complete (the same rule `Salesforce.layerConfig` follows)
  const name = yield* AuthMethod.config
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
  const services = Salesforce.layerConfig({ clientName: "effect-salesforce-demo" }).pipe(
    Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer))
  )
  yield* Effect.scoped(Effect.provide(program, services))
})
