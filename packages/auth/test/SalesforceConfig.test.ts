import { assert, describe, it } from "@effect/vitest"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const accepted = [
  "https://login.salesforce.com",
  "https://test.salesforce.com/",
  "https://acme.my.salesforce.com",
  "https://acme--dev.sandbox.my.salesforce.com",
  "https://acme-dev-ed.develop.my.salesforce.com",
  "https://fun-app-1234.scratch.my.salesforce.com",
  "https://acme.demo.my.salesforce.com",
  "https://acme.patch.my.salesforce.com",
  "https://acme.trailblaze.my.salesforce.com",
  "https://acme.free.my.salesforce.com",
  "https://agency.my.salesforce.mil",
  "https://acme.my.sfcrmproducts.cn",
  "http://127.0.0.1:8787",
  "http://localhost:3000",
  "http://[::1]:9000"
]

const refused: ReadonlyArray<readonly [string, string]> = [
  ["https://acme.lightning.force.com", "use https://acme.my.salesforce.com"],
  ["http://acme.my.salesforce.com", "plain http is refused"],
  ["https://example.com", "not a Salesforce login or My Domain host"],
  ["https://acme.my.salesforce.com/services/data", "without a path"],
  ["https://user:pw@acme.my.salesforce.com", "must not carry credentials"],
  ["acme.my.salesforce.com", "is not a URL"],
  ["ftp://acme.my.salesforce.com", "unsupported protocol"]
]

describe("SalesforceConfig", () => {
  it.effect("accepts every real host shape and loopback http", () =>
    Effect.gen(function*() {
      for (const url of accepted) {
        const config = yield* SalesforceConfig.make({ baseUrl: url })
        assert.strictEqual(config.baseUrl.href, new URL(url).origin + "/")
      }
    }))

  it.effect("refuses other hosts with a reason", () =>
    Effect.gen(function*() {
      for (const [url, reason] of refused) {
        const error = yield* Effect.flip(SalesforceConfig.make({ baseUrl: url }))
        assert.strictEqual(error._tag, "InvalidConfigError")
        assert.include(error.message, reason, url)
        assert.notInclude(error.message, "pw@")
      }
    }))

  it.effect("a custom domain is accepted only when allowed", () =>
    Effect.gen(function*() {
      const config = yield* SalesforceConfig.make({ baseUrl: "https://login.acme.com", allowCustomHost: true })
      assert.strictEqual(config.baseUrl.hostname, "login.acme.com")
    }))

  it.effect("normalises API versions and refuses malformed or retired ones", () =>
    Effect.gen(function*() {
      for (const [input, expected] of [[62, "62.0"], ["62", "62.0"], ["v62.0", "62.0"], ["62.0", "62.0"], ["V64", "64.0"]] as const) {
        assert.strictEqual(yield* SalesforceConfig.parseApiVersion(input), expected)
      }
      for (const input of ["62.5", "latest", "", "v6x"]) {
        const error = yield* Effect.flip(SalesforceConfig.parseApiVersion(input))
        assert.include(error.message, "is not an API version")
      }
      assert.include((yield* Effect.flip(SalesforceConfig.parseApiVersion(30))).message, "retired")
      assert.strictEqual((yield* SalesforceConfig.make({ baseUrl: "https://login.salesforce.com" })).apiVersion, SalesforceConfig.defaultApiVersion)
    }))

  it.effect("layerConfig reads SALESFORCE_BASE_URL and SALESFORCE_API_VERSION", () =>
    Effect.gen(function*() {
      const config = yield* SalesforceConfig.SalesforceConfig
      assert.strictEqual(config.baseUrl.hostname, "acme--uat.sandbox.my.salesforce.com")
      assert.strictEqual(config.apiVersion, "63.0")
      assert.isTrue(SalesforceConfig.isSandbox(config))
    }).pipe(
      Effect.provide(
        SalesforceConfig.layerConfig().pipe(
          Layer.provide(
            Layer.setConfigProvider(
              ConfigProvider.fromMap(
                new Map([["SALESFORCE_BASE_URL", "https://acme--uat.sandbox.my.salesforce.com"], ["SALESFORCE_API_VERSION", "v63"]])
              )
            )
          )
        )
      )
    ))

  it.effect("layerConfig reads SALESFORCE_TRUSTED_INSTANCE_HOSTS (comma-separated) and checks each entry", () =>
    Effect.gen(function*() {
      const read = (value: string) =>
        SalesforceConfig.SalesforceConfig.pipe(
          Effect.provide(
            SalesforceConfig.layerConfig().pipe(
              Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(
                new Map([["SALESFORCE_BASE_URL", "https://acme.my.salesforce.com"], ["SALESFORCE_TRUSTED_INSTANCE_HOSTS", value]])
              )))
            )
          )
        )
      assert.deepStrictEqual((yield* read("sf.acme.com, *.Acme-EU.com,")).trustedInstanceHosts, ["sf.acme.com", "*.acme-eu.com"])
      const error = yield* Effect.flip(read("sf.acme.com,https://evil.example"))
      assert.strictEqual(error._tag === "InvalidConfigError" ? error.field : "", "trustedInstanceHosts")
      const none = yield* SalesforceConfig.make({ baseUrl: "https://acme.my.salesforce.com" })
      assert.deepStrictEqual(none.trustedInstanceHosts, [])
    }))
})
