/**
 * Two orgs in one program: two `TokenProvider`s, two `SalesforceConfig`s, `Salesforce.make`
 * twice, sharing one HTTP transport and one event bus. Here: find the accounts of org A missing
 * from org B (by name) and copy them over.
 *
 *   npx tsx examples/two-orgs.ts
 *
 * Each org's settings are the usual variables under a prefix, read with `Config.nested`:
 * ORG_A_SALESFORCE_BASE_URL, ORG_A_SALESFORCE_CLIENT_ID, ORG_A_SALESFORCE_CLIENT_SECRET, and the
 * same with ORG_B_ (client credentials). Against real orgs it only reads, and prints what it
 * would copy, unless ORG_B_WRITE=true. Without ORG_A_SALESFORCE_BASE_URL it starts two
 * emulators, "Production" (three accounts) and "Sandbox" (one), and copies.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { ClientCredentials, SalesforceConfig, SalesforceEvents, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Emulator } from "@effect-salesforce/emulator"
import { Config, ConfigProvider, Console, Effect, Layer, type Scope, Stream } from "effect"
import { runIfMain } from "./internal/main.js"
import { emulatorVariables, hasRealOrg } from "./internal/org.js"

const OrgConfig = Config.all({
  baseUrl: Config.string("SALESFORCE_BASE_URL"),
  clientId: Config.string("SALESFORCE_CLIENT_ID"),
  clientSecret: Config.redacted("SALESFORCE_CLIENT_SECRET")
})

/** One org: its config and token provider, and a client over them. Lives as long as the scope. */
const connect = (prefix: "ORG_A" | "ORG_B") =>
  Effect.gen(function*() {
    const { baseUrl, clientId, clientSecret } = yield* Config.nested(OrgConfig, prefix)
    const config = yield* SalesforceConfig.make({ baseUrl })
    const tokens = yield* ClientCredentials.make({ clientId, clientSecret }).pipe(
      Effect.provideService(SalesforceConfig.SalesforceConfig, config)
    )
    return yield* Salesforce.make({ clientName: "effect-salesforce-examples" }).pipe(
      Effect.provideService(TokenProvider.TokenProvider, tokens),
      Effect.provideService(SalesforceConfig.SalesforceConfig, config)
    )
  })

const names = (sf: Salesforce.Salesforce.Service) =>
  sf.query("SELECT Name FROM Account ORDER BY Name LIMIT 200").pipe(
    Stream.map((record) => String(record.Name)),
    Stream.runCollect,
    Effect.map((chunk) => Array.from(chunk))
  )

const program = Effect.gen(function*() {
  const [orgA, orgB] = yield* Effect.all([connect("ORG_A"), connect("ORG_B")], { concurrency: 2 })
  const [inA, inB] = yield* Effect.all([names(orgA), names(orgB)], { concurrency: 2 })
  yield* Console.log(`org A: ${inA.join(", ")}\norg B: ${inB.join(", ")}`)

  const missing = inA.filter((name) => !inB.includes(name))
  const write = yield* Config.boolean("ORG_B_WRITE").pipe(Config.withDefault(false))
  if (!write) {
    yield* Console.log(`would copy to org B (set ORG_B_WRITE=true to do it): ${missing.join(", ") || "nothing"}`)
    return
  }
  yield* Effect.forEach(missing, (Name) => orgB.sobject("Account").create({ Name }), { concurrency: 5 })
  yield* Console.log(`✔ copied ${missing.length} accounts; org B now: ${(yield* names(orgB)).join(", ")}`)
})

/** Real orgs from the environment, or two emulators with their variables under ORG_A_ / ORG_B_. */
const withOrgs = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Scope.Scope> =>
  Effect.suspend((): Effect.Effect<A, E, R | Scope.Scope> =>
    hasRealOrg("ORG_A_")
      ? Effect.zipRight(
        Console.log(`Using org A at ${process.env.ORG_A_SALESFORCE_BASE_URL}, org B at ${process.env.ORG_B_SALESFORCE_BASE_URL}`),
        self
      )
      : Effect.gen(function*() {
        const production = yield* Emulator.make({ orgName: "Production" })
        const sandbox = yield* Emulator.make({ orgName: "Sandbox", seed: { Account: [{ Name: "Globex" }] } })
        yield* Console.log(`ORG_A_SALESFORCE_BASE_URL is not set: org A is an emulator at ${production.baseUrl}, org B one at ${sandbox.baseUrl}`)
        const variables = new Map<string, string>([["ORG_B_WRITE", "true"]])
        for (const [prefix, emulator] of [["ORG_A", production], ["ORG_B", sandbox]] as const) {
          for (const [name, value] of Object.entries(emulatorVariables("ClientCredentials", emulator.baseUrl))) {
            variables.set(`${prefix}_${name}`, value)
          }
        }
        // pathDelim "_", as for environment variables: Config.nested("ORG_A") reads ORG_A_<NAME>
        return yield* Effect.withConfigProvider(self, ConfigProvider.fromMap(variables, { pathDelim: "_" }))
      })
  )

export const main: Effect.Effect<void, unknown, Scope.Scope> = program.pipe(
  Effect.provide(Layer.mergeAll(SalesforceEvents.layer, NodeHttpClient.layerUndici)), // shared by both orgs
  withOrgs
)

runIfMain(import.meta.url, main)
