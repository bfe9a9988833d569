/**
 * The OAuth 2.0 web-server flow with PKCE: a person approves the app once in a browser, the app
 * gets a refresh token, and `RefreshToken` runs on it from then on (using the access token it
 * already has first).
 *
 *   npx tsx examples/authorization-code.ts
 *
 * Against a real org: SALESFORCE_BASE_URL (https://login.salesforce.com, test.salesforce.com or
 * the My Domain), SALESFORCE_CLIENT_ID of an app with the callback URL
 * http://127.0.0.1:1717/OauthRedirect and the `api refresh_token` scopes (and
 * SALESFORCE_CLIENT_SECRET if it requires one); open the printed URL and log in. Without
 * SALESFORCE_BASE_URL it runs against an embedded emulator, and a small "browser" below follows
 * the redirect to the receiver. (`npx effect-salesforce login` does the same from a terminal.)
 */
import { NodeHttpClient } from "@effect/platform-node"
import {
  AuthorizationCode,
  RefreshToken,
  SalesforceConfig,
  SalesforceEvents,
  TokenProvider
} from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Emulator } from "@effect-salesforce/emulator"
import { Config, ConfigProvider, Console, Effect, Layer, Option, Redacted, type Scope, Stream } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { runIfMain } from "./internal/main.js"
import { hasRealOrg } from "./internal/org.js"

const program = (port: number, showUrl: (url: string) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const clientId = yield* Config.string("SALESFORCE_CLIENT_ID")
    const clientSecret = yield* Config.option(Config.redacted("SALESFORCE_CLIENT_SECRET"))

    // 1. once: the browser login, through a loopback receiver on 127.0.0.1
    const result = yield* AuthorizationCode.login({
      clientId,
      clientSecret: Option.getOrUndefined(clientSecret),
      port,
      onUrl: showUrl
    })
    yield* Console.log(`✔ authorized for ${result.instanceUrl} with scopes "${result.scopes.join(" ")}"`)
    yield* Console.log(`  refresh token: ${String(result.refreshToken)} (store it as SALESFORCE_REFRESH_TOKEN)`)

    // 2. from then on: RefreshToken, starting with the access token the login already gave
    const Auth = RefreshToken.layer({
      clientId,
      clientSecret: Option.getOrUndefined(clientSecret),
      refreshToken: result.refreshToken,
      accessToken: result.accessToken,
      onRotate: (token) => Console.log(`  onRotate: persist the new refresh token (${Redacted.value(token).length} characters)`)
    })
    yield* Effect.gen(function*() {
      const tokens = yield* TokenProvider.TokenProvider
      const token = yield* tokens.get
      yield* Console.log(`✔ the login's access token is used first: ${Redacted.value(token.value) === Redacted.value(result.accessToken.value)}`)
      const sf = yield* Salesforce.Salesforce
      const accounts = yield* sf.query("SELECT Id, Name FROM Account ORDER BY Name LIMIT 5").pipe(Stream.runCollect)
      yield* Console.log(`✔ ${accounts.length} accounts: ${Array.from(accounts, (a) => String(a.Name)).join(", ")}`)
      yield* tokens.refresh(token)
      yield* Console.log("✔ refreshed with the new refresh token")
    }).pipe(Effect.provide(Salesforce.layer({ clientName: "effect-salesforce-examples" }).pipe(Layer.provideMerge(Auth))))
  })

const Env = Layer.mergeAll(SalesforceConfig.layerConfig(), SalesforceEvents.layer(), NodeHttpClient.layerUndici)

/** Against the emulator: an app whose callback is the receiver, and a "browser" that follows the redirect. */
const onEmulator = Effect.gen(function*() {
  const port = yield* Effect.promise(() =>
    new Promise<number>((resolve) => {
      const probe = Http.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo
        probe.close(() => resolve(port))
      })
    })
  )
  const clientId = "3MVG9ExampleWebServerApp"
  const emulator = yield* Emulator.make({ refreshTokenRotation: true })
  yield* emulator.control.addConnectedApp({ clientId, callbackUrls: [`http://127.0.0.1:${port}/OauthRedirect`] })
  yield* Console.log(`SALESFORCE_BASE_URL is not set: started an emulator at ${emulator.baseUrl}`)
  const browser = (url: string) =>
    Effect.asVoid(Effect.forkDaemon(Effect.promise(async () => {
      const consent = await fetch(url, { redirect: "manual" }) // the emulator approves at once
      await fetch(consent.headers.get("location")!, { redirect: "manual" }) // back to our receiver
    })))
  return yield* program(port, (url) => Effect.zipRight(Console.log(`  (a browser opens ${url.slice(0, 60)}...)`), browser(url))).pipe(
    Effect.provide(Env),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["SALESFORCE_BASE_URL", emulator.baseUrl], ["SALESFORCE_CLIENT_ID", clientId]])))
  )
})

export const main: Effect.Effect<void, unknown, Scope.Scope> = Effect.suspend(() =>
  hasRealOrg()
    ? program(AuthorizationCode.defaultPort, (url) => Console.log(`Open this URL in a browser and log in:\n\n  ${url}\n`)).pipe(
      Effect.provide(Env)
    )
    : onEmulator
)

runIfMain(import.meta.url, main)
