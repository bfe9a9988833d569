/**
 * One-call wiring: `Salesforce.layerWith(auth)` and `Salesforce.layerConfig()` give the client,
 * the one events bus, the config and the auth layer; the test adds only the transport (and a
 * `FileSystem` for `layerConfig`). Over real HTTP against the emulator.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ClientCredentials from "@effect-salesforce/auth/ClientCredentials"
import type { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Salesforce from "@effect-salesforce/client/Salesforce"
import { Emulator } from "@effect-salesforce/emulator"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Chunk from "effect/Chunk"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import { app } from "./emulator.js"

const user = Emulator.defaultOptions.users[0]!

/** Run `limits` through the layer and return what the one bus saw. */
const exercise = Effect.gen(function*() {
  const bus = yield* SalesforceEvents.SalesforceEvents
  const queue = yield* bus.subscribe
  const sf = yield* Salesforce.Salesforce
  yield* sf.limits
  const provider = yield* TokenProvider.TokenProvider
  const token = yield* provider.get
  const events: Array<SalesforceEvent> = Chunk.toArray(yield* Queue.takeAll(queue))
  return { events, token }
})

describe("Salesforce.layerWith / layerConfig", () => {
  it.scoped("layerWith: the auth layer and the client publish on one bus; only the transport is added", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const live = Salesforce.layerWith(
        ClientCredentials.layer({ clientId: app.clientId, clientSecret: Redacted.make(app.clientSecret!) }),
        { config: { baseUrl } }
      ).pipe(Layer.provide(NodeHttpClient.layerUndici))
      const { events, token } = yield* Effect.provide(exercise, live)
      assert.strictEqual(token.instanceUrl, baseUrl)
      const tags = events.map((e) => (e._tag === "Request" ? `${e._tag}:${e.source}` : e._tag))
      assert.includeMembers(tags, ["Request:auth", "TokenAcquired", "Request:client"])
    }))

  it.scoped("layerConfig picks the method from the environment", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const env = (vars: ReadonlyArray<readonly [string, string]>) =>
        Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SALESFORCE_BASE_URL", baseUrl], ...vars])))
      const live = (vars: ReadonlyArray<readonly [string, string]>) =>
        Salesforce.layerConfig().pipe(
          Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer)),
          Layer.provide(env(vars))
        )
      const picked = (events: ReadonlyArray<SalesforceEvent>) =>
        events.flatMap((e) => (e._tag === "TokenAcquired" ? [e.authMethod] : []))

      const soap = yield* Effect.provide(exercise, live([
        ["SALESFORCE_USERNAME", user.username],
        ["SALESFORCE_PASSWORD", user.password],
        ["SALESFORCE_SECURITY_TOKEN", user.securityToken ?? ""]
      ]))
      assert.deepStrictEqual(picked(soap.events), ["SoapLogin"])
      const cc = yield* Effect.provide(exercise, live([
        ["SALESFORCE_CLIENT_ID", app.clientId],
        ["SALESFORCE_CLIENT_SECRET", app.clientSecret!],
        // an empty variable counts as unset
        ["SALESFORCE_REFRESH_TOKEN", ""]
      ]))
      assert.deepStrictEqual(picked(cc.events), ["ClientCredentials"])
    }))

  it.scoped("layerConfig without a complete method: a ConfigError listing what each method lacks", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Layer.build(Salesforce.layerConfig()).pipe(
          Effect.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer)),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([
            ["SALESFORCE_BASE_URL", "https://acme.my.salesforce.com"],
            ["SALESFORCE_CLIENT_ID", "3MVG9"],
            ["SALESFORCE_USERNAME", "someone@acme.com"]
          ])))
        )
      )
      const message = String(error)
      assert.include(message, "no auth method's variables are complete")
      assert.include(message, "ClientCredentials needs SALESFORCE_CLIENT_SECRET")
      assert.include(message, "JwtBearer needs SALESFORCE_PRIVATE_KEY or SALESFORCE_PRIVATE_KEY_FILE")
      assert.include(message, "RefreshToken needs SALESFORCE_REFRESH_TOKEN")
      assert.include(message, "SoapLogin needs SALESFORCE_PASSWORD")
    }))

  it("option-free layers are values: two references are one layer", () => {
    assert.strictEqual(SalesforceEvents.layer, SalesforceEvents.layer)
    assert.strictEqual(Salesforce.layer(), Salesforce.layer())
    assert.strictEqual(ClientCredentials.layerConfig(), ClientCredentials.layerConfig())
  })
})
