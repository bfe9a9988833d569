import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import { Emulator } from "../src/index.js"
import { defaultApp, defaultPassword, defaultUser, get, postForm, send, soapLogin, xmlField } from "./helpers.js"

const tokenUrl = (baseUrl: string) => `${baseUrl}/services/oauth2/token`
const clientCredentials = { grant_type: "client_credentials", client_id: defaultApp.clientId, client_secret: defaultApp.clientSecret! }
const passwordGrant = {
  grant_type: "password",
  client_id: defaultApp.clientId,
  client_secret: defaultApp.clientSecret!,
  username: defaultUser.username,
  password: defaultPassword
}
const refreshGrant = (refresh_token: string) => ({ grant_type: "refresh_token", client_id: defaultApp.clientId, refresh_token })
const defaultRefreshToken = defaultApp.refreshTokens![0]!.token!

const expectSignature = (body: any, secret = defaultApp.clientSecret!) =>
  assert.strictEqual(body.signature, Crypto.createHmac("sha256", secret).update(body.id + body.issued_at).digest("base64"))

describe("OAuth token endpoint", () => {
  it.scoped("client_credentials with the secret in the body", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      const reply = yield* postForm(tokenUrl(baseUrl), clientCredentials)
      assert.strictEqual(reply.status, 200)
      assert.match(reply.headers["content-type"]!, /^application\/json/)
      assert.include(reply.headers["cache-control"]!, "no-store")
      const body = reply.json
      assert.deepStrictEqual(Object.keys(body), ["access_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at"])
      assert.match(body.access_token, /^00D\w{12}![.\w]+$/)
      assert.strictEqual(body.instance_url, baseUrl)
      assert.strictEqual(body.token_type, "Bearer")
      assert.strictEqual(body.scope, "api id")
      assert.match(body.issued_at, /^\d{13}$/)
      assert.match(body.id, new RegExp(`^${baseUrl}/id/00D\\w{15}/005\\w{15}$`))
      expectSignature(body)
      const counters = yield* control.counters
      assert.strictEqual(counters.grantsPerType["client_credentials"], 1)
      assert.strictEqual(counters.loginsPerUser[defaultUser.username], 1)
    }))

  it.scoped("client_credentials with HTTP Basic", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const basic = Buffer.from(`${defaultApp.clientId}:${defaultApp.clientSecret}`).toString("base64")
      const reply = yield* postForm(tokenUrl(baseUrl), { grant_type: "client_credentials" }, { authorization: `Basic ${basic}` })
      assert.strictEqual(reply.status, 200)
      assert.isString(reply.json.access_token)
    }))

  it.scoped("client_credentials errors", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      yield* control.addConnectedApp({ clientId: "NoRunAs", clientSecret: "s" })
      yield* control.addConnectedApp({ clientId: "NoCC", clientSecret: "s", runAs: defaultUser.username, grants: ["password"] })
      const cases: ReadonlyArray<readonly [Record<string, string>, Record<string, string>, string, string]> = [
        [{ ...clientCredentials, client_secret: "wrong" }, {}, "invalid_client", "invalid client credentials"],
        [{ ...clientCredentials, client_id: "nope" }, {}, "invalid_client_id", "client identifier invalid"],
        [{ ...clientCredentials, client_id: "NoRunAs", client_secret: "s" }, {}, "invalid_grant", "no client credentials user enabled"],
        [{ ...clientCredentials, client_id: "NoCC", client_secret: "s" }, {}, "unsupported_grant_type", "grant type not supported"],
        [clientCredentials, { host: "login.salesforce.com" }, "invalid_grant", "request not supported on this domain"]
      ]
      for (const [params, headers, error, description] of cases) {
        const reply = yield* postForm(tokenUrl(baseUrl), params, headers)
        assert.strictEqual(reply.status, 400)
        assert.deepStrictEqual(reply.json, { error, error_description: description })
      }
    }))

  it.scoped("a body that is not form-encoded, or an unknown grant, is unsupported_grant_type", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const asJson = yield* send(HttpClientRequest.post(tokenUrl(baseUrl)).pipe(HttpClientRequest.bodyUnsafeJson(clientCredentials)))
      assert.strictEqual(asJson.status, 400)
      assert.strictEqual(asJson.json.error, "unsupported_grant_type")
      const unknown = yield* postForm(tokenUrl(baseUrl), { grant_type: "urn:example:unknown", code: "x" })
      assert.strictEqual(unknown.json.error, "unsupported_grant_type")
    }))

  it.scoped("password grant: no refresh token, no scope; bad credentials are authentication failure", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      const ok = yield* postForm(tokenUrl(baseUrl), passwordGrant)
      assert.strictEqual(ok.status, 200)
      assert.isUndefined(ok.json.refresh_token)
      assert.isUndefined(ok.json.scope)
      expectSignature(ok.json)
      for (const password of ["wrong", defaultUser.password]) {
        const bad = yield* postForm(tokenUrl(baseUrl), { ...passwordGrant, password })
        assert.deepStrictEqual(bad.json, { error: "invalid_grant", error_description: "authentication failure" })
      }
      const noSecret = yield* postForm(tokenUrl(baseUrl), { ...passwordGrant, client_secret: "x" })
      assert.strictEqual(noSecret.json.error, "invalid_client")
      yield* control.addConnectedApp({ clientId: "NoPassword", clientSecret: "s", grants: ["client_credentials"] })
      const blocked = yield* postForm(tokenUrl(baseUrl), { ...passwordGrant, client_id: "NoPassword", client_secret: "s" })
      assert.deepStrictEqual(blocked.json, { error: "invalid_grant", error_description: "authentication failure" })
    }))

  it.scoped("password grant values are form-encoded, never XML-escaped", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make({ users: [{ username: "amp@example.com", password: "a&b=c+d%<é>", securityToken: "T" }] })
      const ok = yield* postForm(tokenUrl(baseUrl), { ...passwordGrant, username: "amp@example.com", password: "a&b=c+d%<é>T" })
      assert.strictEqual(ok.status, 200)
      const escaped = yield* postForm(tokenUrl(baseUrl), { ...passwordGrant, username: "amp@example.com", password: "a&amp;b=c+d%&lt;é&gt;T" })
      assert.strictEqual(escaped.json.error, "invalid_grant")
    }))

  it.scoped("refresh_token grant with a pre-issued token; without rotation no new refresh token", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      const first = yield* postForm(tokenUrl(baseUrl), refreshGrant(defaultRefreshToken))
      assert.strictEqual(first.status, 200)
      assert.isUndefined(first.json.refresh_token)
      assert.strictEqual(first.json.scope, "api id refresh_token")
      expectSignature(first.json)
      const second = yield* postForm(tokenUrl(baseUrl), { ...refreshGrant(defaultRefreshToken), client_secret: defaultApp.clientSecret! })
      assert.strictEqual(second.status, 200)
      assert.notStrictEqual(second.json.access_token, first.json.access_token)
      const wrongSecret = yield* postForm(tokenUrl(baseUrl), { ...refreshGrant(defaultRefreshToken), client_secret: "x" })
      assert.strictEqual(wrongSecret.json.error, "invalid_client")
      const unknown = yield* postForm(tokenUrl(baseUrl), refreshGrant("5Aep861nope"))
      assert.deepStrictEqual(unknown.json, { error: "invalid_grant", error_description: "expired access/refresh token" })
      const issued = yield* control.issueRefreshToken({ clientId: defaultApp.clientId, username: defaultUser.username })
      assert.strictEqual((yield* postForm(tokenUrl(baseUrl), refreshGrant(issued))).status, 200)
      assert.strictEqual((yield* control.counters).grantsPerType["refresh_token"], 3)
    }))

  it.scoped("rotation: a used refresh token dies; reusing it revokes the whole family", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make({ refreshTokenRotation: true })
      const first = yield* postForm(tokenUrl(baseUrl), refreshGrant(defaultRefreshToken))
      const next = first.json.refresh_token as string
      assert.match(next, /^5Aep861/)
      assert.notStrictEqual(next, defaultRefreshToken)
      const second = yield* postForm(tokenUrl(baseUrl), refreshGrant(next))
      assert.strictEqual(second.status, 200)
      const latest = second.json.refresh_token as string
      // reuse of the rotated token: rejected, and the family (including `latest`) is revoked
      const reuse = yield* postForm(tokenUrl(baseUrl), refreshGrant(next))
      assert.deepStrictEqual(reuse.json, { error: "invalid_grant", error_description: "expired access/refresh token" })
      const afterReuse = yield* postForm(tokenUrl(baseUrl), refreshGrant(latest))
      assert.strictEqual(afterReuse.json.error, "invalid_grant")
      const rest = yield* get(`${baseUrl}/services/data/v64.0/`, second.json.access_token)
      assert.strictEqual(rest.status, 401)
    }))

  it.scoped("concurrent refreshes under rotation: one wins, the other reuses a rotated token", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make({ refreshTokenRotation: true })
      const replies = yield* Effect.all(
        [postForm(tokenUrl(baseUrl), refreshGrant(defaultRefreshToken)), postForm(tokenUrl(baseUrl), refreshGrant(defaultRefreshToken))],
        { concurrency: 2 }
      )
      assert.deepStrictEqual(replies.map((r) => r.status).sort(), [200, 400])
    }))

  it.scoped("per-app rotation overrides the global setting", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      yield* control.addConnectedApp({ clientId: "Rotating", refreshTokenRotation: true, refreshTokens: [{ username: defaultUser.username, token: "5Aep861rot" }] })
      const reply = yield* postForm(tokenUrl(baseUrl), { grant_type: "refresh_token", client_id: "Rotating", refresh_token: "5Aep861rot" })
      assert.isString(reply.json.refresh_token)
      assert.isUndefined(reply.json.signature) // no client secret, no signature
    }))
})

describe("introspect, revoke, userinfo, identity", () => {
  const introspect = (baseUrl: string, token: string, client: Record<string, string> = { client_id: defaultApp.clientId, client_secret: defaultApp.clientSecret! }) =>
    postForm(`${baseUrl}/services/oauth2/introspect`, { token, token_type_hint: "access_token", ...client })

  it.scoped("introspection of an active token gives exp from the session lifetime", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make({ sessionLifetime: "30 minutes", slidingSessions: false })
      const token = yield* postForm(tokenUrl(baseUrl), clientCredentials)
      const reply = yield* introspect(baseUrl, token.json.access_token)
      assert.strictEqual(reply.status, 200)
      const iat = Math.floor(Number(token.json.issued_at) / 1000)
      assert.deepStrictEqual(reply.json, {
        active: true,
        scope: "api id",
        client_id: defaultApp.clientId,
        username: defaultUser.username,
        sub: token.json.id,
        token_type: "access_token",
        exp: iat + 1800,
        iat,
        nbf: iat
      })
    }))

  it.scoped("introspection: unknown, expired, other app's tokens are inactive; bad client is refused; refresh tokens", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      yield* control.addConnectedApp({ clientId: "Other", clientSecret: "o" })
      const token = (yield* postForm(tokenUrl(baseUrl), clientCredentials)).json.access_token
      assert.deepStrictEqual((yield* introspect(baseUrl, "00Dnope")).json, { active: false })
      assert.deepStrictEqual((yield* introspect(baseUrl, token, { client_id: "Other", client_secret: "o" })).json, { active: false })
      const bad = yield* introspect(baseUrl, token, { client_id: defaultApp.clientId, client_secret: "x" })
      assert.strictEqual(bad.json.error, "invalid_client")
      const basic = Buffer.from(`${defaultApp.clientId}:${defaultApp.clientSecret}`).toString("base64")
      const viaBasic = yield* postForm(`${baseUrl}/services/oauth2/introspect`, { token }, { authorization: `Basic ${basic}` })
      assert.strictEqual(viaBasic.json.active, true)
      const refresh = yield* introspect(baseUrl, defaultRefreshToken)
      assert.strictEqual(refresh.json.token_type, "refresh_token")
      yield* control.advanceClock("3 hours")
      assert.deepStrictEqual((yield* introspect(baseUrl, token)).json, { active: false })
    }))

  it.scoped("revoke an access token", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const token = (yield* postForm(tokenUrl(baseUrl), clientCredentials)).json.access_token
      const reply = yield* postForm(`${baseUrl}/services/oauth2/revoke`, { token })
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.text, "")
      assert.strictEqual((yield* get(`${baseUrl}/services/data/v64.0/`, token)).status, 401)
      const again = yield* postForm(`${baseUrl}/services/oauth2/revoke`, { token })
      assert.strictEqual(again.status, 400)
      assert.strictEqual(again.json.error, "invalid_token")
    }))

  it.scoped("revoking a refresh token kills it and the sessions issued from it", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const access = (yield* postForm(tokenUrl(baseUrl), refreshGrant(defaultRefreshToken))).json.access_token
      assert.strictEqual((yield* postForm(`${baseUrl}/services/oauth2/revoke`, { token: defaultRefreshToken })).status, 200)
      assert.strictEqual((yield* postForm(tokenUrl(baseUrl), refreshGrant(defaultRefreshToken))).json.error, "invalid_grant")
      assert.strictEqual((yield* get(`${baseUrl}/services/data/v64.0/`, access)).status, 401)
    }))

  it.scoped("userinfo with a live token; 403 Bad_OAuth_Token otherwise", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const token = (yield* postForm(tokenUrl(baseUrl), clientCredentials)).json
      const reply = yield* get(`${baseUrl}/services/oauth2/userinfo`, token.access_token)
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.json.sub, token.id)
      assert.strictEqual(reply.json.preferred_username, defaultUser.username)
      assert.strictEqual(reply.json.organization_id, Emulator.defaultOptions.orgId)
      const bad = yield* get(`${baseUrl}/services/oauth2/userinfo`, "nope")
      assert.strictEqual(bad.status, 403)
      assert.strictEqual(bad.text, "Bad_OAuth_Token")
    }))

  it.scoped("the identity URL from the token response is served", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const soap = yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)
      const token = (yield* postForm(tokenUrl(baseUrl), clientCredentials)).json
      const reply = yield* get(token.id, xmlField(soap.text, "sessionId"))
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.json.id, token.id)
      assert.strictEqual(reply.json.username, defaultUser.username)
      assert.strictEqual((yield* get(token.id, "bad")).text, "Bad_OAuth_Token")
    }))
})
