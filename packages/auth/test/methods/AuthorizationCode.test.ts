/**
 * The web-server flow end to end over real HTTP: the emulator's authorize endpoint and token
 * endpoint, the loopback receiver, and a test "browser" that follows the authorize redirect to
 * the receiver.
 */
import * as AuthorizationCode from "@effect-salesforce/auth/AuthorizationCode"
import * as RefreshToken from "@effect-salesforce/auth/RefreshToken"
import { Emulator } from "@effect-salesforce/emulator"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import { browse, freePort } from "./browser.js"
import { assertNoSecrets, emulatorEnv, recordEvents } from "./helpers.js"

const loopbackApp = "3MVG9LoopbackTestApp"

/** A receiver on a random port, an app whose callback URL it is, and an authorization for it. */
const begin = (options: { readonly scopes?: ReadonlyArray<string>; readonly appScopes?: ReadonlyArray<string> } = {}) =>
  Effect.gen(function*() {
    const { control } = yield* Emulator.Emulator
    const receiver = yield* AuthorizationCode.receiver({ port: 0 })
    yield* control.addConnectedApp({
      clientId: loopbackApp,
      callbackUrls: [receiver.redirectUri],
      scopes: options.appScopes ?? ["api", "id", "refresh_token"]
    })
    const authorization = yield* AuthorizationCode.authorize({
      clientId: loopbackApp,
      redirectUri: receiver.redirectUri,
      scopes: options.scopes
    })
    return { receiver, authorization }
  })

describe("AuthorizationCode against the emulator", () => {
  it.scoped("authorize URL: login host, response_type=code, scopes, state, S256 challenge, prompt, login_hint", () =>
    Effect.gen(function*() {
      const authorization = yield* AuthorizationCode.authorize({
        clientId: "3MVG9abc",
        redirectUri: "http://127.0.0.1:1717/OauthRedirect",
        prompt: "login consent",
        loginHint: "jane@example.com"
      })
      const url = new URL(authorization.url)
      assert.strictEqual(url.origin + url.pathname, "https://login.salesforce.com/services/oauth2/authorize")
      const q = Object.fromEntries(url.searchParams)
      assert.strictEqual(q["response_type"], "code")
      assert.strictEqual(q["client_id"], "3MVG9abc")
      assert.strictEqual(q["redirect_uri"], "http://127.0.0.1:1717/OauthRedirect")
      assert.strictEqual(q["scope"], "api refresh_token")
      assert.strictEqual(q["state"], authorization.state)
      assert.match(authorization.state, /^[\w-]{22}$/)
      assert.strictEqual(q["code_challenge_method"], "S256")
      assert.match(q["code_challenge"]!, /^[\w-]{43}$/)
      assert.strictEqual(q["prompt"], "login consent")
      assert.strictEqual(q["login_hint"], "jane@example.com")
      assert.isFalse(authorization.url.includes(Redacted.value(authorization.codeVerifier)))
      const again = yield* AuthorizationCode.authorize({ clientId: "x", redirectUri: "http://127.0.0.1:1/cb" })
      assert.notStrictEqual(again.state, authorization.state)
      assert.notStrictEqual(Redacted.value(again.codeVerifier), Redacted.value(authorization.codeVerifier))
    }).pipe(Effect.provide(emulatorEnv({}, { baseUrl: "https://login.salesforce.com" }))))

  it.scoped("success: login() end to end; the result plugs into RefreshToken, its access token used first", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.Emulator
      const port = yield* freePort
      yield* control.addConnectedApp({ clientId: loopbackApp, callbackUrls: [`http://127.0.0.1:${port}/OauthRedirect`] })
      const { events } = yield* recordEvents
      const result = yield* AuthorizationCode.login({
        clientId: loopbackApp,
        port,
        onUrl: (url) => Effect.asVoid(Effect.forkDaemon(browse(url)))
      })
      assert.strictEqual(result.instanceUrl, baseUrl)
      assert.deepStrictEqual(result.scopes, ["api", "refresh_token"])
      assert.match(result.identityUrl!, /\/id\/00D\w{15}\/005\w{15}$/)
      assert.match(Redacted.value(result.refreshToken), /^5Aep861/)
      assert.strictEqual((yield* control.counters).grantsPerType["authorization_code"], 1)

      const rotatedTo = yield* Ref.make<ReadonlyArray<string>>([])
      const provider = yield* RefreshToken.make({
        clientId: loopbackApp,
        refreshToken: result.refreshToken,
        accessToken: result.accessToken,
        onRotate: (token) => Ref.update(rotatedTo, (all) => [...all, Redacted.value(token)])
      })
      const first = yield* provider.get
      assert.strictEqual(Redacted.value(first.value), Redacted.value(result.accessToken.value), "the code's token is used first")
      assert.isUndefined((yield* control.counters).grantsPerType["refresh_token"])
      const next = yield* provider.refresh(first)
      assert.notStrictEqual(Redacted.value(next.value), Redacted.value(first.value))
      assert.strictEqual((yield* control.counters).grantsPerType["refresh_token"], 1)
      assert.strictEqual((yield* Ref.get(rotatedTo)).length, 1, "rotation reported to onRotate")
      const all = yield* events
      assert.deepStrictEqual(all.filter((e) => e._tag === "Request").map((e) => e._tag === "Request" && new URL(e.url).pathname), [
        "/services/oauth2/token",
        "/services/oauth2/token"
      ])
      assertNoSecrets(
        [Redacted.value(result.refreshToken), Redacted.value(result.accessToken.value), ...(yield* Ref.get(rotatedTo))],
        [result, ...all]
      )
    }).pipe(Effect.provide(emulatorEnv({ refreshTokenRotation: true }))))

  it.scoped("state mismatch: the code is not exchanged", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const { receiver, authorization } = yield* begin()
      yield* Effect.fork(browse(authorization.url))
      const callback = yield* receiver.callback
      const error = yield* Effect.flip(AuthorizationCode.exchange({ ...authorization, state: "another-state" }, callback))
      assert.strictEqual(error._tag, "AuthorizationCodeError")
      assert.strictEqual(error._tag === "AuthorizationCodeError" && error.reason, "StateMismatch")
      assert.isUndefined((yield* control.counters).requestsPerPath["/services/oauth2/token"])
      const forged = yield* Effect.flip(AuthorizationCode.exchange(authorization, { ...callback, state: undefined }))
      assert.strictEqual(forged._tag === "AuthorizationCodeError" && forged.reason, "StateMismatch")
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("denied consent: AccessDenied from the redirect's error, and the browser gets a page", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      yield* control.setAuthorization({ _tag: "Deny" })
      const { receiver, authorization } = yield* begin()
      const browser = yield* Effect.fork(browse(authorization.url))
      const error = yield* Effect.flip(receiver.callback)
      assert.strictEqual(error.reason, "AccessDenied")
      assert.strictEqual(error.code, "access_denied")
      assert.include(error.message, "end-user denied authorization")
      const seen = yield* Fiber.join(browser)
      assert.strictEqual(seen.status, 200)
      assert.include(seen.page, "access_denied")
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("code reused: CodeRejected, and the first exchange's tokens are revoked", () =>
    Effect.gen(function*() {
      const { receiver, authorization } = yield* begin()
      yield* Effect.fork(browse(authorization.url))
      const callback = yield* receiver.callback
      yield* AuthorizationCode.exchange(authorization, callback)
      const error = yield* Effect.flip(AuthorizationCode.exchange(authorization, callback))
      assert.strictEqual(error._tag === "AuthorizationCodeError" && error.reason, "CodeRejected")
      assert.include(error.message, "expired authorization code")
      assert.include(error.message, "works once and for 15 minutes")
      assertNoSecrets([Redacted.value(callback.code), Redacted.value(authorization.codeVerifier)], [error])
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("wrong verifier: CodeRejected naming the PKCE verifier", () =>
    Effect.gen(function*() {
      const { receiver, authorization } = yield* begin()
      yield* Effect.fork(browse(authorization.url))
      const callback = yield* receiver.callback
      const other = yield* AuthorizationCode.authorize({ clientId: loopbackApp, redirectUri: receiver.redirectUri })
      const error = yield* Effect.flip(
        AuthorizationCode.exchange({ ...authorization, codeVerifier: other.codeVerifier }, callback)
      )
      assert.strictEqual(error._tag === "AuthorizationCodeError" && error.reason, "CodeRejected")
      assert.include(error.message, "PKCE code verifier")
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("wrong redirect URI: RedirectUriMismatch at the exchange; an unregistered one never reaches the receiver", () =>
    Effect.gen(function*() {
      const { receiver, authorization } = yield* begin()
      yield* Effect.fork(browse(authorization.url))
      const callback = yield* receiver.callback
      const error = yield* Effect.flip(
        AuthorizationCode.exchange({ ...authorization, redirectUri: "http://127.0.0.1:1717/OauthRedirect" }, callback)
      )
      assert.strictEqual(error._tag === "AuthorizationCodeError" && error.reason, "RedirectUriMismatch")
      assert.include(error.message, "callback URLs")

      const elsewhere = yield* AuthorizationCode.receiver({ port: 0, path: "/elsewhere" })
      const unregistered = yield* AuthorizationCode.authorize({ clientId: loopbackApp, redirectUri: elsewhere.redirectUri })
      const page = yield* browse(unregistered.url)
      assert.include(page.location!, "/setup/secur/RemoteAccessErrorPage.apexp")
      assert.include(page.page, "redirect_uri_mismatch")
      const waiting = yield* Effect.fork(elsewhere.callback)
      yield* TestClock.adjust("5 minutes")
      const timeout = yield* Effect.flip(Fiber.join(waiting))
      assert.strictEqual(timeout.reason, "Timeout")
      assert.include(timeout.message, "redirect_uri_mismatch")
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("no refresh-token scope: NoRefreshToken says the app lacks the refresh_token scope", () =>
    Effect.gen(function*() {
      const { receiver, authorization } = yield* begin({ scopes: ["api"] })
      yield* Effect.fork(browse(authorization.url))
      const error = yield* Effect.flip(
        Effect.flatMap(receiver.callback, (callback) => AuthorizationCode.exchange(authorization, callback))
      )
      assert.strictEqual(error._tag === "AuthorizationCodeError" && error.reason, "NoRefreshToken")
      assert.include(error.message, "lacks the refresh_token scope")
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("an app without the refresh_token scope: asking for it is AuthorizeFailed (invalid_scope)", () =>
    Effect.gen(function*() {
      const { receiver, authorization } = yield* begin({ appScopes: ["api", "id"] })
      yield* Effect.fork(browse(authorization.url))
      const error = yield* Effect.flip(receiver.callback)
      assert.strictEqual(error.reason, "AuthorizeFailed")
      assert.strictEqual(error.code, "invalid_scope")
    }).pipe(Effect.provide(emulatorEnv())))
})

describe("the loopback receiver", () => {
  const request = (url: string, method = "GET") =>
    Effect.promise(async () => {
      const response = await fetch(url, { method, redirect: "manual" })
      return { status: response.status, text: await response.text(), headers: response.headers }
    })

  it.scoped("serves one callback on its path: other paths 404, other methods 405, a second callback 409", () =>
    Effect.gen(function*() {
      const receiver = yield* AuthorizationCode.receiver({ port: 0 })
      assert.match(receiver.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/OauthRedirect$/)
      const base = new URL(receiver.redirectUri)
      assert.strictEqual((yield* request(`${base.origin}/favicon.ico`)).status, 404)
      assert.strictEqual((yield* request(receiver.redirectUri, "POST")).status, 405)
      assert.strictEqual((yield* request(`${receiver.redirectUri}?state=x`)).status, 400, "neither code nor error: keep waiting")
      const ok = yield* request(`${receiver.redirectUri}?code=aPrxSecretCode%3D%3D&state=s1`)
      assert.strictEqual(ok.status, 200)
      assert.strictEqual(ok.headers.get("referrer-policy"), "no-referrer")
      assert.notInclude(ok.text, "aPrxSecretCode")
      const callback = yield* receiver.callback
      assert.strictEqual(Redacted.value(callback.code), "aPrxSecretCode==")
      assert.strictEqual(callback.state, "s1")
      assert.strictEqual((yield* request(`${receiver.redirectUri}?code=other`)).status, 409)
    }))

  it.scoped("an error page from the redirect is bounded and escaped", () =>
    Effect.gen(function*() {
      const receiver = yield* AuthorizationCode.receiver({ port: 0 })
      const page = yield* request(`${receiver.redirectUri}?error=${encodeURIComponent("<script>x</script>".repeat(50))}`)
      assert.notInclude(page.text, "<script>")
      const error = yield* Effect.flip(receiver.callback)
      assert.strictEqual(error.reason, "AuthorizeFailed")
      assert.isAtMost(error.code!.length, 100)
    }))

  it.scoped("times out on the clock; the port is released when the scope closes; a taken port is ListenFailed", () =>
    Effect.gen(function*() {
      const port = yield* Effect.scoped(
        Effect.gen(function*() {
          const receiver = yield* AuthorizationCode.receiver({ port: 0, timeout: "30 seconds" })
          const waiting = yield* Effect.fork(receiver.callback)
          yield* TestClock.adjust("30 seconds")
          const error = yield* Effect.flip(Fiber.join(waiting))
          assert.strictEqual(error.reason, "Timeout")
          const port = Number(new URL(receiver.redirectUri).port)
          const taken = yield* Effect.flip(AuthorizationCode.receiver({ port }))
          assert.strictEqual(taken.reason, "ListenFailed")
          assert.include(taken.message, "in use")
          return port
        })
      )
      const again = yield* AuthorizationCode.receiver({ port })
      assert.strictEqual(new URL(again.redirectUri).port, String(port))
    }))

  it.scoped("interrupting the wait leaves nothing behind", () =>
    Effect.gen(function*() {
      const receiver = yield* AuthorizationCode.receiver({ port: 0 })
      const waiting = yield* Effect.fork(receiver.callback)
      yield* Fiber.interrupt(waiting)
      const ok = yield* request(`${receiver.redirectUri}?code=c&state=s`)
      assert.strictEqual(ok.status, 200)
      assert.strictEqual(Redacted.value((yield* receiver.callback).code), "c")
    }))
})
