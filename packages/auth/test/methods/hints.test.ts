/**
 * Hints for the retiring flows and for apps not set up for the flow asked for: the typed error
 * says what to switch to and names a README section that exists.
 */
import * as ClientCredentials from "@effect-salesforce/auth/ClientCredentials"
import * as RefreshToken from "@effect-salesforce/auth/RefreshToken"
import * as SoapLogin from "@effect-salesforce/auth/SoapLogin"
import { Emulator } from "@effect-salesforce/emulator"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs"
import { sections } from "../../src/internal/hints.js"
import { app, emulatorEnv, user } from "./helpers.js"

const readme = Fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8")
const soap = { username: user.username, password: Redacted.make(user.password), securityToken: Redacted.make(user.securityToken) }

const hintOf = (error: { readonly _tag: string }) => (error._tag === "AuthenticationError" ? (error as { hint?: string }).hint : undefined)

describe("hints for the retiring flows", () => {
  it("every section a hint names is a heading of the auth README", () => {
    for (const section of Object.values(sections)) {
      const heading = /"(.+)"/.exec(section)![1]!
      assert.match(readme, new RegExp(`^#+ ${heading.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"), heading)
    }
  })

  it.scoped("SOAP login disabled in the org: switch to client credentials, JWT or the web-server flow", () =>
    Effect.gen(function*() {
      const provider = yield* SoapLogin.make(soap)
      const error = yield* Effect.flip(provider.get)
      assert.include(hintOf(error), "ClientCredentials or JwtBearer")
      assert.include(hintOf(error), "AuthorizationCode then RefreshToken")
      assert.include(error.message, `"Moving off SOAP login"`)
    }).pipe(Effect.provide(emulatorEnv({ soapLogin: "disabled" }))))

  it.scoped("SOAP login not available in the API version: the same hint", () =>
    Effect.gen(function*() {
      const provider = yield* SoapLogin.make(soap)
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error._tag === "AuthenticationError" && error.code, "INVALID_OPERATION")
      assert.include(error.message, `"Moving off SOAP login"`)
    }).pipe(Effect.provide(emulatorEnv({ maxSoapLoginVersion: "60.0" }))))

  it.scoped("a wrong password gets no hint", () =>
    Effect.gen(function*() {
      const provider = yield* SoapLogin.make({ ...soap, password: Redacted.make("wrong") })
      const error = yield* Effect.flip(provider.get)
      assert.isUndefined(hintOf(error))
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("client credentials: no Run As user, or the flow not enabled on the app", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      yield* control.addConnectedApp({ clientId: "3MVG9NoRunAs", clientSecret: "s1" })
      yield* control.addConnectedApp({ clientId: "3MVG9NoCC", clientSecret: "s2", runAs: user.username, grants: ["jwt_bearer"] })
      const noRunAs = yield* Effect.flip(
        Effect.flatMap(ClientCredentials.make({ clientId: "3MVG9NoRunAs", clientSecret: Redacted.make("s1") }), (p) => p.get)
      )
      assert.include(hintOf(noRunAs), "set its Run As user")
      assert.include(noRunAs.message, `the auth README, "ClientCredentials"`)
      const notEnabled = yield* Effect.flip(
        Effect.flatMap(ClientCredentials.make({ clientId: "3MVG9NoCC", clientSecret: Redacted.make("s2") }), (p) => p.get)
      )
      assert.strictEqual(notEnabled._tag === "AuthenticationError" && notEnabled.code, "unsupported_grant_type")
      assert.include(hintOf(notEnabled), "Enable Client Credentials Flow")
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("a dead refresh token: get a new one with effect-salesforce login", () =>
    Effect.gen(function*() {
      const provider = yield* RefreshToken.make({ clientId: app.clientId, refreshToken: Redacted.make("5Aep861Revoked") })
      const error = yield* Effect.flip(provider.get)
      assert.include(hintOf(error), "npx effect-salesforce login")
      assert.include(error.message, `"Getting a refresh token"`)
    }).pipe(Effect.provide(emulatorEnv())))
})
