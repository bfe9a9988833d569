/**
 * Spans: the library traces its work with Effect's tracer. `TokenProvider.acquire` covers a
 * login (with `salesforce.auth.method` and `salesforce.auth.trigger`), `AuthHttp.send` each
 * token call, `Salesforce.execute` each REST attempt (an HTTP client span), and
 * `Salesforce.query` / `Salesforce.sobject.<op>` / `Salesforce.limits` each client operation.
 * Your own spans (`Effect.withSpan`) become their parents.
 *
 *   npx tsx examples/tracing.ts
 *
 * Here a tiny recording `Tracer` (examples/internal/recordingTracer.ts) prints the tree at the
 * end. For OpenTelemetry, add `@effect/opentelemetry` and the OTel SDK packages and provide
 * `NodeSdk.layer(() => ({ resource: { serviceName: "my-app" }, spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter()) }))`
 * at exactly the place `TracingLive` is provided below: nothing else changes.
 *
 * Against a real org: SALESFORCE_BASE_URL, SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET
 * (client credentials). Without SALESFORCE_BASE_URL it runs against an embedded emulator, which
 * is also made to expire every session, so that a 401 and a refresh show in the tree.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { ClientCredentials } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Emulator } from "@effect-salesforce/emulator"
import { Console, Effect, Layer, Option, type Scope, Stream } from "effect"
import { runIfMain } from "./internal/main.js"
import { withOrg } from "./internal/org.js"
import { makeRecordingTracer, renderTree } from "./internal/recordingTracer.js"

const program = Effect.gen(function*() {
  const sf = yield* Salesforce.Salesforce
  const accounts = yield* sf.query("SELECT Id, Name FROM Account ORDER BY Name LIMIT 3").pipe(
    Stream.runCollect,
    Effect.withSpan("report.listAccounts")
  )
  const first = Array.from(accounts)[0]
  if (first?.Id !== undefined) {
    yield* sf.sobject("Account").get(first.Id, ["Name"]).pipe(Effect.withSpan("report.readOne"))
  }

  const emulator = yield* Effect.serviceOption(Emulator.Emulator)
  if (Option.isSome(emulator)) yield* emulator.value.control.expireAllSessions // → 401, refresh, resend
  yield* sf.limits.pipe(Effect.withSpan("report.limits"))

  // a failing call: its spans end with the error
  yield* sf.sobject("Account").get("001000000000000AAA").pipe(Effect.ignore, Effect.withSpan("report.missing"))
}).pipe(Effect.withSpan("report", { attributes: { "app.example": "tracing" } }))

const SalesforceLive = Salesforce.layerWith(ClientCredentials.layerConfig(), { clientName: "effect-salesforce-examples" }).pipe(
  Layer.provide(NodeHttpClient.layerUndici)
)

export const main: Effect.Effect<void, unknown, Scope.Scope> = Effect.gen(function*() {
  const { spans, tracer } = makeRecordingTracer()
  const TracingLive = Layer.setTracer(tracer) // ← or NodeSdk.layer(...) from @effect/opentelemetry
  yield* program.pipe(
    Effect.provide(SalesforceLive),
    Effect.provide(TracingLive), // outermost, so the layers' own work is traced too
    withOrg("ClientCredentials")
  )
  yield* Console.log(`\n${spans.length} spans:\n${renderTree(spans)}`)
})

runIfMain(import.meta.url, main)
