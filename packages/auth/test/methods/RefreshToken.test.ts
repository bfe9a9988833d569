import { assert, describe, it } from "@effect/vitest"
import * as RefreshToken from "@effect-salesforce/auth/RefreshToken"
import type { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import { Emulator } from "@effect-salesforce/emulator"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"
import { app, assertNoSecrets, emulatorEnv, noDelayRetries, recordEvents, stubClient, stubEnv, tags } from "./helpers.js"

const options = { clientId: app.clientId, refreshToken: Redacted.make(app.refreshToken) }
const refreshGrants = Effect.flatMap(
  Emulator.Emulator,
  (e) => Effect.map(e.control.counters, (c) => c.grantsPerType["refresh_token"] ?? 0)
)
const tokenRequests = Effect.flatMap(
  Emulator.Emulator,
  (e) => Effect.map(e.control.counters, (c) => c.requestsPerPath["/services/oauth2/token"] ?? 0)
)
const rotated = (events: ReadonlyArray<SalesforceEvent>) =>
  events.flatMap((e) => (e._tag === "RefreshTokenRotated" ? [Redacted.value(e.refreshToken)] : []))

describe("RefreshToken against the emulator", () => {
  it.scoped("exchanges the refresh token for an access token", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      const provider = yield* RefreshToken.make(options)
      const token = yield* provider.get
      assert.strictEqual(token.instanceUrl, baseUrl)
      assert.isTrue(Option.isNone(token.expiresAt))
      const sessions = yield* control.sessions
      assert.deepStrictEqual(sessions.map((s) => [s.token, s.grant]), [[Redacted.value(token.value), "refresh_token"]])
      assert.deepStrictEqual(tags(yield* events), ["Request", "Response", "TokenAcquired"])
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("10 concurrent callers cause one grant", () =>
    Effect.gen(function*() {
      const provider = yield* RefreshToken.make(options)
      const tokens = yield* Effect.all(Array.from({ length: 10 }, () => provider.get), { concurrency: "unbounded" })
      assert.strictEqual(new Set(tokens.map((t) => Redacted.value(t.value))).size, 1)
      assert.strictEqual(yield* refreshGrants, 1)
    }).pipe(Effect.provide(emulatorEnv({ refreshTokenRotation: true }))))

  it.scoped("rotation across three refreshes: each new refresh token is kept, reported and used", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      const persisted = yield* Ref.make<ReadonlyArray<string>>([])
      const provider = yield* RefreshToken.make({
        ...options,
        onRotate: (token) => Ref.update(persisted, (all) => [...all, Redacted.value(token)])
      })
      const first = yield* provider.get
      const second = yield* provider.refresh(first)
      const third = yield* provider.refresh(second)
      assert.strictEqual(new Set([first, second, third].map((t) => Redacted.value(t.value))).size, 3)
      assert.strictEqual(yield* refreshGrants, 3)
      const saved = yield* Ref.get(persisted)
      assert.strictEqual(saved.length, 3)
      assert.strictEqual(new Set([app.refreshToken, ...saved]).size, 4)
      const all = yield* events
      assert.deepStrictEqual(rotated(all), saved)
      assert.deepStrictEqual(
        tags(all).filter((t) => t !== "Request" && t !== "Response"),
        ["RefreshTokenRotated", "TokenAcquired", "RefreshTokenRotated", "TokenRefreshed", "RefreshTokenRotated", "TokenRefreshed"]
      )
      // the server agrees: only the last one is alive
      const known = new Map((yield* control.refreshTokens).map((t) => [t.token, t.status]))
      assert.deepStrictEqual([app.refreshToken, ...saved].map((t) => known.get(t)), ["rotated", "rotated", "rotated", "active"])
    }).pipe(Effect.provide(emulatorEnv({ refreshTokenRotation: true }))))

  it.scoped("a dead refresh token is an AuthenticationError, one request, no retry loop", () =>
    Effect.gen(function*() {
      const provider = yield* RefreshToken.make({ ...options, refreshToken: Redacted.make("5Aep861DeadRefreshToken") })
      const errors = yield* Effect.all(Array.from({ length: 10 }, () => Effect.flip(provider.get)), { concurrency: "unbounded" })
      errors.push(yield* Effect.flip(provider.get), yield* Effect.flip(provider.refresh()))
      for (const error of errors) {
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.match(error.message, /^RefreshToken: \[invalid_grant\] expired access\/refresh token\. Hint: /)
      }
      assert.strictEqual(yield* tokenRequests, 1)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("a revoked family: after a replayed token, the current one is dead too", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.Emulator
      const provider = yield* RefreshToken.make(options)
      yield* provider.get
      // someone else replays the original (now rotated) token
      const replay = yield* Effect.tryPromise(() =>
        fetch(`${baseUrl}/services/oauth2/token`, {
          method: "POST",
          body: new URLSearchParams({ grant_type: "refresh_token", client_id: app.clientId, refresh_token: app.refreshToken })
        }).then((r) => r.status)
      )
      assert.strictEqual(replay, 400)
      const error = yield* Effect.flip(provider.refresh())
      assert.match(error.message, /^RefreshToken: \[invalid_grant\] expired access\/refresh token\. Hint: /)
    }).pipe(Effect.provide(emulatorEnv({ refreshTokenRotation: true }))))

  it.scoped("'token request is already being processed' is retried, not surfaced", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      yield* control.injectFault({
        path: "/services/oauth2/token",
        count: 2,
        kind: {
          _tag: "Status",
          status: 400,
          body: { error: "invalid_grant", error_description: "token request is already being processed" }
        }
      })
      const provider = yield* RefreshToken.make(options)
      yield* provider.get
      const all = yield* events
      assert.deepStrictEqual(tags(all).filter((t) => t === "Retry" || t === "TokenAcquired"), ["Retry", "Retry", "TokenAcquired"])
      assert.strictEqual(yield* refreshGrants, 1)
    }).pipe(Effect.provide(Layer.merge(emulatorEnv({ refreshTokenRotation: true }), noDelayRetries))))

  it.scoped("a truncated token response over the wire is a MalformedResponseError", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      yield* control.injectFault({ path: "/services/oauth2/token", kind: { _tag: "Malformed" } })
      const provider = yield* RefreshToken.make({ ...options, failureCooldown: 0 })
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error._tag, "MalformedResponseError")
      assert.match(error.message, /\(HTTP 200\): token response: the JSON body is truncated or invalid$/)
      yield* provider.get // the refresh token was not consumed by the fault
    }).pipe(Effect.provide(emulatorEnv({ refreshTokenRotation: true }))))

  it.scoped("with tokenLifetime: past expiry, one new grant with the rotated token", () =>
    Effect.gen(function*() {
      const provider = yield* RefreshToken.make({ ...options, tokenLifetime: "2 hours", proactiveRefresh: false })
      const first = yield* provider.get
      yield* TestClock.adjust("2 hours")
      const next = yield* Effect.all(Array.from({ length: 10 }, () => provider.get), { concurrency: "unbounded" })
      assert.strictEqual(new Set(next.map((t) => Redacted.value(t.value))).size, 1)
      assert.notStrictEqual(Redacted.value(next[0]!.value), Redacted.value(first.value))
      assert.strictEqual(yield* refreshGrants, 2)
    }).pipe(Effect.provide(emulatorEnv({ refreshTokenRotation: true }))))

  it.scoped("a failing onRotate does not fail the refresh; the new token stays in use", () =>
    Effect.gen(function*() {
      const provider = yield* RefreshToken.make({ ...options, onRotate: () => Effect.fail("disk full") })
      const first = yield* provider.get
      yield* provider.refresh(first)
      assert.strictEqual(yield* refreshGrants, 2)
    }).pipe(Effect.provide(emulatorEnv({ refreshTokenRotation: true }))))

  it.scoped("client secret: the right one works, a wrong one is invalid_client", () =>
    Effect.gen(function*() {
      const good = yield* RefreshToken.make({ ...options, clientSecret: Redacted.make(app.clientSecret) })
      yield* good.get
      const bad = yield* RefreshToken.make({ ...options, clientSecret: Redacted.make("wrong-secret") })
      assert.strictEqual((yield* Effect.flip(bad.get)).message, "RefreshToken: [invalid_client] invalid client credentials")
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("secrets never appear in events or errors", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      const provider = yield* RefreshToken.make({ ...options, clientSecret: Redacted.make(app.clientSecret), introspect: true })
      const token = yield* provider.get
      yield* provider.refresh(token)
      const dead = yield* RefreshToken.make({ ...options, refreshToken: Redacted.make("5Aep861DeadRefreshTokenValue") })
      const error = yield* Effect.flip(dead.get)
      const sessions = yield* control.sessions
      const refreshTokens = yield* control.refreshTokens
      const all = yield* events
      assert.strictEqual(rotated(all).length, 2)
      assertNoSecrets(
        [
          app.clientSecret,
          "5Aep861DeadRefreshTokenValue",
          ...refreshTokens.map((t) => t.token),
          ...sessions.map((s) => s.token)
        ],
        [...all, error, token, provider]
      )
    }).pipe(Effect.provide(emulatorEnv({ refreshTokenRotation: true }))))
})

describe("RefreshToken configuration", () => {
  it.scoped("an empty refresh token is refused before any request", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* stubClient([{ status: 200, body: "" }])
      const error = yield* Effect.flip(
        RefreshToken.make({ ...options, refreshToken: Redacted.make("") }).pipe(Effect.provide(stubEnv(client)))
      )
      assert.strictEqual(error.message, "Invalid refreshToken: must not be empty")
      assert.deepStrictEqual(yield* requests, [])
    }))

  it.scoped("the form carries grant_type, refresh_token and client_id (secret only when given)", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* stubClient([{
        status: 200,
        body: JSON.stringify({ access_token: "00D!x", instance_url: "https://acme.my.salesforce.com" })
      }])
      yield* Effect.flatMap(RefreshToken.make(options), (p) => p.get).pipe(Effect.provide(stubEnv(client, "https://login.salesforce.com")))
      const [sent] = yield* requests
      assert.strictEqual(sent!.url, "https://login.salesforce.com/services/oauth2/token")
      assert.strictEqual(sent!.body, `grant_type=refresh_token&refresh_token=${app.refreshToken}&client_id=${app.clientId}`)
    }))

  it.scoped("a rotated token in a malformed response is still kept", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* stubClient([
        { status: 200, body: JSON.stringify({ access_token: "00D!x", instance_url: "ftp://x", refresh_token: "5AepNew" }) },
        { status: 200, body: JSON.stringify({ access_token: "00D!y", instance_url: "https://acme.my.salesforce.com" }) }
      ])
      yield* Effect.gen(function*() {
        const provider = yield* RefreshToken.make({ ...options, failureCooldown: 0 })
        assert.strictEqual((yield* Effect.flip(provider.get))._tag, "MalformedResponseError")
        yield* provider.get
      }).pipe(Effect.provide(stubEnv(client)))
      const bodies = (yield* requests).map((r) => new URLSearchParams(r.body).get("refresh_token"))
      assert.deepStrictEqual(bodies, [app.refreshToken, "5AepNew"])
    }))

  it.scoped("layerConfig reads SALESFORCE_CLIENT_ID and SALESFORCE_REFRESH_TOKEN", () =>
    Effect.gen(function*() {
      const provider = yield* TokenProvider.TokenProvider
      yield* provider.get
      assert.strictEqual(yield* refreshGrants, 1)
    }).pipe(
      Effect.provide(
        RefreshToken.layerConfig().pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(
            new Map([["SALESFORCE_CLIENT_ID", app.clientId], ["SALESFORCE_REFRESH_TOKEN", app.refreshToken]])
          )))
        )
      ),
      Effect.provide(emulatorEnv())
    ))
})
