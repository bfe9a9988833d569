/**
 * One process of a fleet, for the redis tests: a ClientCredentials provider on the shared Redis
 * store, `concurrency` concurrent `get`s, then one JSON line on stdout (the token's fingerprint,
 * never the token). It waits for a line on stdin before the gets, so a fleet starts together. Argv: emulator URL, Redis URL, key prefix, concurrency, lease millis.
 */
import * as Crypto from "node:crypto"
import * as ClientCredentials from "@effect-salesforce/auth/ClientCredentials"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import { TokenStore } from "@effect-salesforce/auth/TokenStore"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as RedisTokenStore from "../../src/RedisTokenStore.js"

const [baseUrl = "", redisUrl = "", prefix = "", concurrency = "1", lease = "15000"] = process.argv.slice(2)

const program = Effect.gen(function*() {
  const store = yield* RedisTokenStore.make({ url: redisUrl, prefix, lease: Duration.millis(Number(lease)) })
  const provider = yield* Effect.provideService(
    ClientCredentials.make({
      clientId: "3MVG9EmulatorDefaultClientId",
      clientSecret: Redacted.make("EmulatorDefaultClientSecret")
    }),
    TokenStore,
    store
  )
  process.stdout.write(JSON.stringify({ ready: true }) + "\n")
  // start together: the test says "go" on stdin once every worker is ready
  yield* Effect.async<void>((resume) => {
    process.stdin.once("data", () => resume(Effect.void))
  })
  const tokens = yield* Effect.all(Array.from({ length: Number(concurrency) }, () => provider.get), {
    concurrency: "unbounded"
  })
  const fingerprints = new Set(
    tokens.map((t) => Crypto.createHash("sha256").update(Redacted.value(t.value)).digest("hex").slice(0, 12))
  )
  process.stdout.write(JSON.stringify({ done: true, fingerprints: [...fingerprints] }) + "\n")
})

const Env = Layer.mergeAll(SalesforceConfig.layer({ baseUrl }), SalesforceEvents.layer, NodeHttpClient.layerUndici)

Effect.runPromise(Effect.scoped(Effect.provide(program, Env))).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`worker failed: ${String(error)}\n`)
    process.exit(1)
  }
)
