/**
 * A service of your own built on the `Salesforce` client, the way an application would write
 * one: it depends on `Salesforce.Salesforce` only, so it runs against any org with any auth
 * method, and its tests (examples/test/consumer.test.ts) run with `TokenProvider.layerTest`
 * and a stub `HttpClient`: no network, no org.
 *
 *   npx tsx examples/consumer-test.ts                  # the service against an org
 *   npx vitest run --root examples                     # its tests
 *
 * Against a real org: SALESFORCE_BASE_URL, SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET
 * (client credentials). Without SALESFORCE_BASE_URL it runs against an embedded emulator.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { ClientCredentials } from "@effect-salesforce/auth"
import { Salesforce, Soql } from "@effect-salesforce/client"
import { Console, Context, Effect, Layer, type ParseResult, Schema, type Scope, Stream } from "effect"
import { runIfMain } from "./internal/main.js"
import { withOrg } from "./internal/org.js"

/** An account as the application sees it. */
export class Account extends Schema.Class<Account>("Account")({
  Id: Schema.String,
  Name: Schema.String,
  Industry: Schema.NullOr(Schema.String)
}) {}

export class AccountDirectory extends Context.Tag("examples/AccountDirectory")<AccountDirectory, {
  readonly byIndustry: (
    industry: string
  ) => Effect.Effect<ReadonlyArray<Account>, Salesforce.Salesforce.Error | ParseResult.ParseError>
  readonly rename: (id: string, name: string) => Effect.Effect<void, Salesforce.Salesforce.Error>
}>() {
  /** Needs only `Salesforce`: which org, which auth method and which transport are decided at the edge. */
  static readonly layer = Layer.effect(
    AccountDirectory,
    Effect.gen(function*() {
      const sf = yield* Salesforce.Salesforce
      return {
        byIndustry: (industry) =>
          // `Soql.soql` quotes and escapes each value: never build SOQL by hand
          sf.query(Soql.soql`SELECT Id, Name, Industry FROM Account WHERE Industry = ${industry} ORDER BY Name`, { schema: Account }).pipe(
            Stream.runCollect,
            Effect.map((chunk) => Array.from(chunk))
          ),
        rename: (id, name) => sf.sobject("Account").update(id, { Name: name })
      }
    })
  )
}

const program = Effect.gen(function*() {
  const directory = yield* AccountDirectory
  const energy = yield* directory.byIndustry("Energy")
  yield* Console.log(`✔ Energy accounts: ${energy.map((a) => a.Name).join(", ")}`)
  const first = energy[0]
  if (first !== undefined) {
    yield* directory.rename(first.Id, `${first.Name} (renamed)`)
    const again = yield* directory.byIndustry("Energy")
    yield* Console.log(`✔ after rename: ${again.map((a) => a.Name).join(", ")}`)
    yield* directory.rename(first.Id, first.Name) // leave the org as it was
  }
})

const AppLive = AccountDirectory.layer.pipe(
  Layer.provide(Salesforce.layerWith(ClientCredentials.layerConfig(), { clientName: "effect-salesforce-examples" })),
  Layer.provide(NodeHttpClient.layerUndici)
)

export const main: Effect.Effect<void, unknown, Scope.Scope> = program.pipe(
  Effect.provide(AppLive),
  withOrg("ClientCredentials")
)

runIfMain(import.meta.url, main)
