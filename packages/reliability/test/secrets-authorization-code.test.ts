/**
 * Secret leakage in the web-server flow: authorization codes, PKCE verifiers, access and
 * refresh tokens (issued, rotated) never reach a log line, an event, an error or a request URL,
 * through success, every failure, RefreshToken on the result, and the `login` command (whose
 * stderr is scanned; its stdout is where the refresh token is meant to go).
 */
import * as AuthorizationCode from "@effect-salesforce/auth/AuthorizationCode"
import * as RefreshToken from "@effect-salesforce/auth/RefreshToken"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Salesforce from "@effect-salesforce/client/Salesforce"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as ChildProcess from "node:child_process"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { baseLayer, emulator, figure, quickRetries, seen, witness } from "./harness.js"

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, witness.loggerLayer)

const logEverything = (values: Record<string, unknown>) =>
  Effect.forEach(Object.entries(values), ([label, value]) =>
    Effect.zipRight(Effect.logDebug(label, value), Effect.logInfo(`${label}: ${String(value)}`)), { discard: true })

const clientId = "3MVG9SecretScanWebApp"

/** Codes and verifiers the emulator received, learnt from its request log's token bodies. */
const learnCodes = (emu: { readonly control: { readonly requestLog: Effect.Effect<ReadonlyArray<{ readonly body: string }>> } }) =>
  witness.source(Effect.gen(function*() {
    for (const entry of yield* emu.control.requestLog) {
      if (!entry.body.includes("grant_type=authorization_code")) continue
      const form = new URLSearchParams(entry.body)
      witness.addSecret("authorization code", form.get("code") ?? undefined)
      witness.addSecret("code verifier", form.get("code_verifier") ?? undefined)
    }
  }))

const freePort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const probe = Http.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
)

/** The browser: the authorize URL, then its redirect (to the receiver). Its URLs are scanned too. */
const browse = (url: string) =>
  Effect.promise(async () => {
    const consent = await fetch(url, { redirect: "manual" })
    const location = consent.headers.get("location")
    if (location !== null) await (await fetch(location, { redirect: "manual" })).text()
    return location
  })

/** An emulator with an app whose callback is a receiver on a known port, and the auth environment. */
const setUp = (options: { readonly rotation?: boolean } = {}) =>
  Effect.gen(function*() {
    const emu = yield* emulator({ refreshTokenRotation: options.rotation ?? true })
    yield* learnCodes(emu)
    const port = yield* freePort
    yield* emu.control.addConnectedApp({ clientId, callbackUrls: [`http://127.0.0.1:${port}/OauthRedirect`] })
    const env = yield* Layer.build(baseLayer(emu.baseUrl))
    return { emu, port, env }
  })

const remember = (authorization: AuthorizationCode.Authorization, callback?: AuthorizationCode.Callback) => {
  witness.addSecret("code verifier", Redacted.value(authorization.codeVerifier))
  if (callback !== undefined) witness.addSecret("authorization code", Redacted.value(callback.code))
}

describe("secrets: the web-server flow", () => {
  it.scopedLive("success, then RefreshToken on the result: query, 401 refresh with rotation, manual refresh", () =>
    Effect.gen(function*() {
      const { emu, env, port } = yield* setUp()
      const result = yield* AuthorizationCode.login({
        clientId,
        port,
        onUrl: (url) => Effect.asVoid(Effect.forkDaemon(browse(url)))
      }).pipe(Effect.provide(env))
      witness.addSecret("refresh token (from the code)", Redacted.value(result.refreshToken))
      witness.addSecret("access token (from the code)", Redacted.value(result.accessToken.value))
      const auth = yield* Layer.build(
        RefreshToken.layer({
          clientId,
          refreshToken: result.refreshToken,
          accessToken: result.accessToken,
          onRotate: (token) => Effect.logInfo("rotated", token)
        }).pipe(Layer.provide(Layer.succeedContext(env)), Layer.orDie)
      )
      const provider = yield* Effect.provide(TokenProvider.TokenProvider, auth)
      const sf = yield* Salesforce.make({ retryPolicy: quickRetries }).pipe(Effect.provide(auth), Effect.provide(env))
      yield* Stream.runCollect(sf.query("SELECT Id, Name FROM Account"))
      yield* emu.control.expireAllSessions
      yield* sf.limits
      yield* provider.refresh()
      yield* logEverything({ result, provider, token: yield* provider.get, sf })
    }).pipe(observed))

  it.scopedLive("every failure: state mismatch, denied, code reused, wrong verifier, wrong redirect, no refresh token", () =>
    Effect.gen(function*() {
      const { emu, env } = yield* setUp()
      const run = <A, E>(effect: Effect.Effect<A, E, never>) => Effect.flip(effect)
      // one receiver and app per case, so each case has its own code
      const flow = (scopes?: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          const receiver = yield* AuthorizationCode.receiver({ port: 0 })
          const id = `3MVG9Scan${Math.floor(Math.random() * 1e9)}`
          yield* emu.control.addConnectedApp({ clientId: id, callbackUrls: [receiver.redirectUri] })
          const authorization = yield* AuthorizationCode.authorize({ clientId: id, redirectUri: receiver.redirectUri, scopes }).pipe(
            Effect.provide(env)
          )
          yield* Effect.forkDaemon(browse(authorization.url))
          const callback = yield* Effect.either(receiver.callback)
          if (callback._tag === "Right") remember(authorization, callback.right)
          else remember(authorization)
          return { authorization, callback }
        })
      const exchange = (authorization: AuthorizationCode.Authorization, callback: AuthorizationCode.Callback) =>
        AuthorizationCode.exchange(authorization, callback).pipe(Effect.provide(env))

      const errors: Array<unknown> = []
      const ok = yield* flow()
      if (ok.callback._tag === "Left") return assert.fail("no callback")
      errors.push(yield* run(exchange({ ...ok.authorization, state: "forged" }, ok.callback.right)))
      const first = yield* exchange(ok.authorization, ok.callback.right)
      witness.addSecret("refresh token", Redacted.value(first.refreshToken))
      errors.push(yield* run(exchange(ok.authorization, ok.callback.right)))
      const verifier = yield* flow()
      if (verifier.callback._tag === "Left") return assert.fail("no callback")
      errors.push(yield* run(exchange({ ...verifier.authorization, codeVerifier: Redacted.make("x".repeat(43)) }, verifier.callback.right)))
      const redirect = yield* flow()
      if (redirect.callback._tag === "Left") return assert.fail("no callback")
      errors.push(yield* run(exchange({ ...redirect.authorization, redirectUri: "http://127.0.0.1:1/OauthRedirect" }, redirect.callback.right)))
      const noRefresh = yield* flow(["api"])
      if (noRefresh.callback._tag === "Left") return assert.fail("no callback")
      errors.push(yield* run(exchange(noRefresh.authorization, noRefresh.callback.right)))
      yield* emu.control.setAuthorization({ _tag: "Deny" })
      const denied = yield* flow()
      if (denied.callback._tag === "Right") return assert.fail("denied yet a code")
      errors.push(denied.callback.left)
      assert.deepStrictEqual(
        errors.map((e) => (e as { reason?: string }).reason),
        ["StateMismatch", "CodeRejected", "CodeRejected", "RedirectUriMismatch", "NoRefreshToken", "AccessDenied"]
      )
      for (const error of errors) seen(error)
      yield* logEverything({ errors, ok, verifier })
    }).pipe(observed))

  it.scopedLive("the login command: nothing secret on stderr", () =>
    Effect.gen(function*() {
      const { emu, port } = yield* setUp()
      const bin = fileURLToPath(new URL("../../auth/bin/effect-salesforce.mjs", import.meta.url))
      const done = yield* Effect.promise(() =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
          const child = ChildProcess.spawn(
            process.execPath,
            [bin, "login", "--client-id", clientId, "--login-url", emu.baseUrl, "--port", String(port), "--no-open"],
            { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SALESFORCE_CLIENT_SECRET: "" } }
          )
          let stdout = ""
          let stderr = ""
          let browsed = false
          const timer = setTimeout(() => child.kill("SIGKILL"), 30_000)
          child.stdout.on("data", (c) => (stdout += c))
          child.stderr.on("data", (c) => {
            stderr += c
            const url = /http:\/\/\S+\/services\/oauth2\/authorize\S+/.exec(stderr)
            if (url !== null && !browsed) {
              browsed = true
              Effect.runPromise(browse(url[0])).catch(reject)
            }
          })
          child.on("close", (code) => {
            clearTimeout(timer)
            resolve({ code, stdout, stderr })
          })
        })
      )
      assert.strictEqual(done.code, 0, done.stderr)
      const token = /^SALESFORCE_REFRESH_TOKEN=(\S+)$/m.exec(done.stdout)![1]!
      witness.addSecret("refresh token (login command)", token)
      witness.record("log", done.stderr)
    }).pipe(observed), 60_000)
})

describe("secrets: the scan", () => {
  it.effect("no code, verifier or token in any log line, event, error or request URL of this file", () =>
    Effect.gen(function*() {
      const summary = yield* witness.assertClean
      assert.isAbove(summary.log ?? 0, 0, "the logger saw lines")
      assert.isAbove(summary.events, 0, "the subscriber saw events")
      assert.isAbove(summary.url ?? 0, 0, "the request log was read")
      figure("secrets.authorization-code", summary)
    }))
})
