import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import { Emulator } from "../src/index.js"
import { defaultApp, defaultUser, get, postForm } from "./helpers.js"

const redirectUri = "http://127.0.0.1:1717/OauthRedirect"
const verifier = Crypto.randomBytes(32).toString("base64url")
const s256 = Crypto.createHash("sha256").update(verifier).digest("base64url")

const authorizeUrl = (baseUrl: string, params: Record<string, string>) => {
  const url = new URL("/services/oauth2/authorize", baseUrl)
  const all = { response_type: "code", client_id: defaultApp.clientId, redirect_uri: redirectUri, state: "st-1", ...params }
  for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v)
  return url.toString()
}

/** The redirect's target, parsed. */
const location = (reply: { status: number; headers: Readonly<Record<string, string>> }) => {
  assert.strictEqual(reply.status, 302)
  return new URL(reply.headers["location"]!)
}

const authorize = (baseUrl: string, params: Record<string, string> = {}) =>
  Effect.map(get(authorizeUrl(baseUrl, { code_challenge: s256, code_challenge_method: "S256", ...params })), location)

const exchange = (baseUrl: string, code: string, params: Record<string, string> = {}) =>
  postForm(`${baseUrl}/services/oauth2/token`, {
    grant_type: "authorization_code",
    code,
    client_id: defaultApp.clientId,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    ...params
  })

describe("web-server flow: /services/oauth2/authorize and the authorization_code grant", () => {
  it.scoped("approves as the first user, redirects with a code and state; the code gives a refresh token", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      const back = yield* authorize(baseUrl, { scope: "api refresh_token" })
      assert.strictEqual(back.origin + back.pathname, redirectUri)
      assert.strictEqual(back.searchParams.get("state"), "st-1")
      const code = back.searchParams.get("code")!
      assert.match(code, /^aPrx[\w.]+==$/)
      const reply = yield* exchange(baseUrl, code)
      assert.strictEqual(reply.status, 200)
      assert.deepStrictEqual(Object.keys(reply.json), [
        "access_token", "refresh_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at"
      ])
      assert.strictEqual(reply.json.scope, "api refresh_token")
      assert.match(reply.json.refresh_token, /^5Aep861/)
      const refreshed = yield* postForm(`${baseUrl}/services/oauth2/token`, {
        grant_type: "refresh_token",
        client_id: defaultApp.clientId,
        refresh_token: reply.json.refresh_token
      })
      assert.strictEqual(refreshed.status, 200)
      assert.strictEqual(refreshed.json.scope, "api refresh_token")
      const counters = yield* control.counters
      assert.strictEqual(counters.grantsPerType["authorization_code"], 1)
      assert.strictEqual(counters.loginsPerUser[defaultUser.username], 1)
    }))

  it.scoped("a code is single-use: reuse is invalid_grant and revokes what the first exchange issued", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const code = (yield* authorize(baseUrl)).searchParams.get("code")!
      const first = yield* exchange(baseUrl, code)
      assert.strictEqual(first.status, 200)
      const again = yield* exchange(baseUrl, code)
      assert.strictEqual(again.status, 400)
      assert.deepStrictEqual(again.json, { error: "invalid_grant", error_description: "expired authorization code" })
      const rest = yield* get(`${baseUrl}/services/data/v64.0/limits`, first.json.access_token)
      assert.strictEqual(rest.status, 401)
    }))

  it.scoped("a code expires after 15 minutes on the emulator clock", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      const code = (yield* authorize(baseUrl)).searchParams.get("code")!
      yield* control.advanceClock("15 minutes")
      const reply = yield* exchange(baseUrl, code)
      assert.deepStrictEqual(reply.json, { error: "invalid_grant", error_description: "expired authorization code" })
      const fresh = (yield* authorize(baseUrl)).searchParams.get("code")!
      yield* control.advanceClock("14 minutes")
      assert.strictEqual((yield* exchange(baseUrl, fresh)).status, 200)
    }))

  it.scoped("PKCE: S256 and plain verifiers are checked; a wrong or missing verifier is invalid_grant", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const wrong = (yield* authorize(baseUrl)).searchParams.get("code")!
      const bad = yield* exchange(baseUrl, wrong, { code_verifier: Crypto.randomBytes(32).toString("base64url") })
      assert.deepStrictEqual(bad.json, { error: "invalid_grant", error_description: "invalid code verifier" })
      const missing = (yield* authorize(baseUrl)).searchParams.get("code")!
      const { code_verifier: _, ...withoutVerifier } = { code_verifier: "" }
      const none = yield* postForm(`${baseUrl}/services/oauth2/token`, {
        grant_type: "authorization_code",
        code: missing,
        client_id: defaultApp.clientId,
        redirect_uri: redirectUri,
        ...withoutVerifier
      })
      assert.strictEqual(none.json.error_description, "invalid code verifier")
      const plain = (yield* authorize(baseUrl, { code_challenge: verifier, code_challenge_method: "plain" })).searchParams.get("code")!
      assert.strictEqual((yield* exchange(baseUrl, plain)).status, 200)
      const plainWrong = (yield* authorize(baseUrl, { code_challenge: verifier, code_challenge_method: "plain" })).searchParams.get("code")!
      assert.strictEqual((yield* exchange(baseUrl, plainWrong, { code_verifier: s256 })).json.error, "invalid_grant")
      const noMethod = yield* Effect.map(get(authorizeUrl(baseUrl, { code_challenge: verifier })), location)
      assert.strictEqual((yield* exchange(baseUrl, noMethod.searchParams.get("code")!)).status, 200, "no method means plain")
      const badMethod = yield* authorize(baseUrl, { code_challenge_method: "S512" })
      assert.strictEqual(badMethod.searchParams.get("error"), "invalid_request")
    }))

  it.scoped("the redirect URI of the exchange must be the one authorized", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const code = (yield* authorize(baseUrl)).searchParams.get("code")!
      const reply = yield* exchange(baseUrl, code, { redirect_uri: "http://localhost:1717/OauthRedirect" })
      assert.deepStrictEqual(reply.json, { error: "redirect_uri_mismatch", error_description: "redirect_uri must match configuration" })
    }))

  it.scoped("an unknown client or an unregistered callback goes to Salesforce's error page, never to redirect_uri", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const unknown = location(yield* get(authorizeUrl(baseUrl, { client_id: "nope" })))
      assert.strictEqual(unknown.origin, baseUrl)
      assert.strictEqual(unknown.pathname, "/setup/secur/RemoteAccessErrorPage.apexp")
      assert.strictEqual(unknown.searchParams.get("error"), "invalid_client_id")
      const evil = location(yield* get(authorizeUrl(baseUrl, { redirect_uri: "https://evil.example.com/cb" })))
      assert.strictEqual(evil.origin, baseUrl)
      assert.strictEqual(evil.searchParams.get("error"), "redirect_uri_mismatch")
      assert.strictEqual(evil.searchParams.get("error_description"), "redirect_uri must match configuration")
      const page = yield* get(evil.toString())
      assert.strictEqual(page.status, 200)
      assert.include(page.text, "redirect_uri_mismatch")
    }))

  it.scoped("denied consent, a scope the app lacks and a wrong response_type come back in the redirect's query", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      const scope = yield* authorize(baseUrl, { scope: "api web" })
      assert.strictEqual(scope.searchParams.get("error"), "invalid_scope")
      assert.strictEqual(scope.searchParams.get("state"), "st-1")
      const type = yield* authorize(baseUrl, { response_type: "token" })
      assert.strictEqual(type.searchParams.get("error"), "unsupported_response_type")
      yield* control.setAuthorization({ _tag: "Deny" })
      const denied = yield* authorize(baseUrl)
      assert.strictEqual(denied.origin + denied.pathname, redirectUri)
      assert.strictEqual(denied.searchParams.get("error"), "access_denied")
      assert.strictEqual(denied.searchParams.get("error_description"), "end-user denied authorization")
      assert.strictEqual(denied.searchParams.get("state"), "st-1")
      assert.isNull(denied.searchParams.get("code"))
    }))

  it.scoped("approving as another user; without the refresh_token scope there is no refresh token", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      yield* control.addUser({ username: "other@example.com", password: "x" })
      yield* control.setAuthorization({ _tag: "Approve", username: "other@example.com" })
      const code = (yield* authorize(baseUrl, { scope: "api" })).searchParams.get("code")!
      const reply = yield* exchange(baseUrl, code)
      assert.strictEqual(reply.status, 200)
      assert.isUndefined(reply.json.refresh_token)
      assert.strictEqual(reply.json.scope, "api")
      const sessions = yield* control.sessions
      assert.strictEqual(sessions.find((s) => s.token === reply.json.access_token)?.username, "other@example.com")
    }))

  it.scoped("a confidential app: the secret is checked when sent, and required when configured", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      yield* control.addConnectedApp({
        clientId: "Confidential",
        clientSecret: "s3cret",
        callbackUrls: [redirectUri],
        requireSecretForWebServerFlow: true
      })
      const code = () =>
        Effect.map(authorize(baseUrl, { client_id: "Confidential" }), (u) => u.searchParams.get("code")!)
      const without = yield* exchange(baseUrl, yield* code(), { client_id: "Confidential" })
      assert.strictEqual(without.json.error, "invalid_client")
      const wrong = yield* exchange(baseUrl, yield* code(), { client_id: "Confidential", client_secret: "nope" })
      assert.strictEqual(wrong.json.error, "invalid_client")
      const ok = yield* exchange(baseUrl, yield* code(), { client_id: "Confidential", client_secret: "s3cret" })
      assert.strictEqual(ok.status, 200)
      const otherApp = yield* exchange(baseUrl, yield* code(), { client_id: defaultApp.clientId })
      assert.strictEqual(otherApp.json.error, "invalid_grant", "a code only works for its own client")
    }))
})
