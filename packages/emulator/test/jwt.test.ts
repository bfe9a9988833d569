import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import { Emulator } from "../src/index.js"
import { defaultApp, defaultUser, get, postForm } from "./helpers.js"

const keys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
const otherKeys = Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
const publicPem = keys.publicKey.export({ type: "spki", format: "pem" }).toString()

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")

const sign = (
  claims: Record<string, unknown>,
  options: { readonly header?: Record<string, unknown>; readonly key?: Crypto.KeyObject | string; readonly alg?: "RS256" | "HS256" | "none" } = {}
): string => {
  const alg = options.alg ?? "RS256"
  const head = b64(options.header ?? { alg, typ: "JWT" })
  const body = b64(claims)
  const input = `${head}.${body}`
  if (alg === "none") return `${input}.`
  if (alg === "HS256") return `${input}.${Crypto.createHmac("sha256", "secret").update(input).digest("base64url")}`
  return `${input}.${Crypto.sign("RSA-SHA256", Buffer.from(input), options.key ?? keys.privateKey).toString("base64url")}`
}

const APP = "3MVG9JwtTestApp"
const options: Emulator.Options = {
  connectedApps: [
    ...Emulator.defaultOptions.connectedApps,
    { clientId: APP, publicKey: publicPem, grants: ["jwt_bearer"] },
    { clientId: "Picky", publicKey: publicPem, approvedUsers: ["someone@else.com"] }
  ]
}

const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: APP,
  sub: defaultUser.username,
  aud: "https://login.salesforce.com",
  exp: Math.floor(Date.now() / 1000) + 170,
  ...overrides
})

const exchange = (baseUrl: string, assertion: string) =>
  postForm(`${baseUrl}/services/oauth2/token`, { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion })

describe("JWT bearer", () => {
  it.scoped("a good assertion gets a token without refresh_token or signature", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make(options)
      const reply = yield* exchange(baseUrl, sign(claims()))
      assert.strictEqual(reply.status, 200, reply.text)
      assert.deepStrictEqual(Object.keys(reply.json), ["access_token", "scope", "instance_url", "id", "token_type"])
      assert.strictEqual(reply.json.instance_url, baseUrl)
      assert.strictEqual((yield* get(`${baseUrl}/services/data/v64.0/`, reply.json.access_token)).status, 200)
      assert.strictEqual((yield* control.counters).grantsPerType["jwt_bearer"], 1)
    }))

  it.scoped("the default app verifies with its X.509 certificate and Emulator.defaultJwtPrivateKey", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const assertion = sign(claims({ iss: defaultApp.clientId, aud: "https://test.salesforce.com" }), { key: Emulator.defaultJwtPrivateKey })
      assert.strictEqual((yield* exchange(baseUrl, assertion)).status, 200)
    }))

  it.scoped("accepted audiences: login, test, the emulator's base URL, trailing slash, array", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make(options)
      for (const aud of ["https://test.salesforce.com", baseUrl, "https://login.salesforce.com/", ["x", "https://login.salesforce.com"]]) {
        assert.strictEqual((yield* exchange(baseUrl, sign(claims({ aud })))).status, 200)
      }
    }))

  const rejections: ReadonlyArray<readonly [string, () => string, string, string]> = [
    ["signed with another key", () => sign(claims(), { key: otherKeys.privateKey }), "invalid_grant", "invalid assertion"],
    ["expired", () => sign(claims({ exp: Math.floor(Date.now() / 1000) - 10 })), "invalid_grant", "expired authorization code"],
    ["wrong audience", () => sign(claims({ aud: "https://acme.my.salesforce.com" })), "invalid_grant", "audience is invalid"],
    ["alg none", () => sign(claims(), { alg: "none" }), "invalid_grant", "invalid assertion"],
    ["HS256", () => sign(claims(), { alg: "HS256" }), "invalid_grant", "invalid assertion"],
    ["RS256 header but no signature", () => sign(claims(), { alg: "none", header: { alg: "RS256" } }), "invalid_grant", "invalid assertion"],
    ["unknown issuer", () => sign(claims({ iss: "nope" })), "invalid_client_id", "client identifier invalid"],
    ["unknown subject", () => sign(claims({ sub: "ghost@example.com" })), "invalid_grant", "user hasn't approved this consumer"],
    ["user not approved", () => sign(claims({ iss: "Picky" })), "invalid_grant", "user hasn't approved this consumer"],
    ["missing exp", () => sign(claims({ exp: undefined })), "invalid_grant", "invalid assertion"],
    ["not a JWT", () => "garbage", "invalid_grant", "invalid assertion"]
  ]
  for (const [name, assertion, error, description] of rejections) {
    it.scoped(`refuses: ${name}`, () =>
      Effect.gen(function*() {
        const { baseUrl } = yield* Emulator.make(options)
        const reply = yield* exchange(baseUrl, assertion())
        assert.strictEqual(reply.status, 400)
        assert.deepStrictEqual(reply.json, { error, error_description: description })
      }))
  }

  it.scoped("lenient exp (default): milliseconds and numeric strings pass; strict refuses them", () =>
    Effect.gen(function*() {
      const lenient = yield* Emulator.make(options)
      const ms = sign(claims({ exp: Date.now() + 300 }))
      const str = sign(claims({ exp: String(Math.floor(Date.now() / 1000) + 100) }))
      assert.strictEqual((yield* exchange(lenient.baseUrl, ms)).status, 200)
      assert.strictEqual((yield* exchange(lenient.baseUrl, str)).status, 200)
      const strict = yield* Emulator.make({ ...options, jwtExpStrictness: "strict" })
      assert.strictEqual((yield* exchange(strict.baseUrl, ms)).json.error, "invalid_grant")
      assert.strictEqual((yield* exchange(strict.baseUrl, str)).json.error, "invalid_grant")
      assert.strictEqual((yield* exchange(strict.baseUrl, sign(claims()))).status, 200)
    }))

  it.scoped("exp is checked on the emulator clock", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make(options)
      const assertion = sign(claims())
      yield* control.advanceClock("5 minutes")
      assert.strictEqual((yield* exchange(baseUrl, assertion)).json.error_description, "expired authorization code")
    }))

  it.scoped("configurable audiences replace the defaults", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make({ ...options, jwtAudiences: ["https://acme.my.site.com/customers"] })
      assert.strictEqual((yield* exchange(baseUrl, sign(claims()))).json.error_description, "audience is invalid")
      assert.strictEqual((yield* exchange(baseUrl, sign(claims({ aud: "https://acme.my.site.com/customers" })))).status, 200)
    }))

  it.scoped("an app without the jwt_bearer grant refuses it", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make(options)
      yield* control.addConnectedApp({ clientId: "NoJwt", publicKey: publicPem, grants: ["password"] })
      assert.strictEqual((yield* exchange(baseUrl, sign(claims({ iss: "NoJwt" })))).json.error, "unsupported_grant_type")
    }))
})
