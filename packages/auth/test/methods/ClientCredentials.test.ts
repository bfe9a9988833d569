import { assert, describe, it } from "@effect/vitest"
import type { AuthError } from "@effect-salesforce/auth/AuthError"
import * as ClientCredentials from "@effect-salesforce/auth/ClientCredentials"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import { Emulator } from "@effect-salesforce/emulator"
import * as ConfigProvider from "effect/ConfigProvider"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { app, assertNoSecrets, emulatorEnv, noDelayRetries, recordEvents, stubClient, stubEnv, tags } from "./helpers.js"

const options = { clientId: app.clientId, clientSecret: Redacted.make(app.clientSecret) }
const grants = Effect.flatMap(Emulator.Emulator, (e) => Effect.map(e.control.counters, (c) => c.grantsPerType["client_credentials"] ?? 0))

describe("ClientCredentials against the emulator", () => {
  it.scoped("acquires a token for the run-as user", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.Emulator
      const provider = yield* ClientCredentials.make(options)
      const token = yield* provider.get
      assert.strictEqual(token.instanceUrl, baseUrl)
      assert.isTrue(Option.isNone(token.expiresAt))
      const sessions = yield* control.sessions
      assert.deepStrictEqual(sessions.map((s) => [s.token, s.grant, s.username]), [[
        Redacted.value(token.value),
        "client_credentials",
        "user@example.com"
      ]])
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("10 concurrent callers cause one grant", () =>
    Effect.gen(function*() {
      const provider = yield* ClientCredentials.make(options)
      const tokens = yield* Effect.all(Array.from({ length: 10 }, () => provider.get), { concurrency: "unbounded" })
      assert.strictEqual(new Set(tokens.map((t) => Redacted.value(t.value))).size, 1)
      assert.strictEqual(yield* grants, 1)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("a wrong secret is invalid_client, one request, remembered for the cool-down", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const provider = yield* ClientCredentials.make({ ...options, clientSecret: Redacted.make("wrong-secret") })
      const errors = yield* Effect.all(Array.from({ length: 5 }, () => Effect.flip(provider.get)), { concurrency: "unbounded" })
      const again = yield* Effect.flip(provider.get)
      for (const error of [...errors, again]) {
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.strictEqual(error.message, "ClientCredentials: [invalid_client] invalid client credentials")
      }
      const counters = yield* control.counters
      assert.strictEqual(counters.requestsPerPath["/services/oauth2/token"], 1)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("an unknown client id is invalid_client_id", () =>
    Effect.gen(function*() {
      const provider = yield* ClientCredentials.make({ ...options, clientId: "3MVG9Unknown" })
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error.message, "ClientCredentials: [invalid_client_id] client identifier invalid")
      assert.strictEqual(error._tag === "AuthenticationError" && error.status, 400)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("no run-as user is invalid_grant", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      yield* control.addConnectedApp({ clientId: "3MVG9NoRunAs", clientSecret: "s3cret-no-run-as" })
      const provider = yield* ClientCredentials.make({ clientId: "3MVG9NoRunAs", clientSecret: Redacted.make("s3cret-no-run-as") })
      const error = yield* Effect.flip(provider.get)
      assert.match(error.message, /^ClientCredentials: \[invalid_grant\] no client credentials user enabled/)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("with tokenLifetime: past expiry, one new grant", () =>
    Effect.gen(function*() {
      const provider = yield* ClientCredentials.make({ ...options, tokenLifetime: "15 minutes", proactiveRefresh: false })
      const first = yield* provider.get
      assert.strictEqual(
        Option.getOrThrow(first.expiresAt).epochMillis - first.issuedAt.epochMillis,
        15 * 60 * 1000
      )
      yield* TestClock.adjust("14 minutes")
      const second = yield* Effect.all(Array.from({ length: 10 }, () => provider.get), { concurrency: "unbounded" })
      assert.notStrictEqual(Redacted.value(second[0]!.value), Redacted.value(first.value))
      assert.strictEqual(new Set(second.map((t) => Redacted.value(t.value))).size, 1)
      assert.strictEqual(yield* grants, 2)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("with tokenLifetime and proactive refresh: refreshed ahead, callers never wait", () =>
    Effect.gen(function*() {
      const { waitFor } = yield* recordEvents
      const provider = yield* ClientCredentials.make({ ...options, tokenLifetime: "15 minutes" })
      const first = yield* provider.get
      // to the refresh point (5 minutes ahead of the 14-minute usable life) and no further while the
      // refresh is on the wire: moving the TestClock past its request timeout would time it out
      yield* TestClock.adjust("9 minutes")
      const refreshed = yield* waitFor("TokenRefreshed")
      yield* TestClock.adjust("4 minutes")
      const event = refreshed.find((e) => e._tag === "TokenRefreshed")
      assert.strictEqual(event?._tag === "TokenRefreshed" && event.trigger, "proactive")
      const second = yield* provider.get
      assert.notStrictEqual(Redacted.value(second.value), Redacted.value(first.value))
      assert.strictEqual(yield* grants, 2)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("introspection gives the session lifetime as expiry", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const provider = yield* ClientCredentials.make({ ...options, introspect: true })
      const token = yield* provider.get
      assert.strictEqual(Option.getOrThrow(token.expiresAt).epochMillis - token.issuedAt.epochMillis, 2 * 60 * 60 * 1000)
      const counters = yield* control.counters
      assert.strictEqual(counters.requestsPerPath["/services/oauth2/introspect"], 1)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("events of one grant: Request, Response, TokenAcquired", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      const provider = yield* ClientCredentials.make(options)
      yield* Effect.all(Array.from({ length: 3 }, () => provider.get), { concurrency: "unbounded" })
      const all = yield* events
      assert.deepStrictEqual(tags(all), ["Request", "Response", "TokenAcquired"])
      const [request, response, acquired] = all
      assert.strictEqual(request?._tag === "Request" && request.url, `${baseUrl}/services/oauth2/token`)
      assert.strictEqual(response?._tag === "Response" && response.status, 200)
      assert.strictEqual(acquired?._tag === "TokenAcquired" && acquired.authMethod, "ClientCredentials")
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("a 503 is retried; a 429 with Retry-After too", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      yield* control.injectFault({ path: "/services/oauth2/token", kind: { _tag: "Status", status: 503, body: "busy" } })
      yield* control.injectFault({
        path: "/services/oauth2/token",
        kind: { _tag: "Status", status: 429, body: "", headers: { "Retry-After": "0" } }
      })
      const provider = yield* ClientCredentials.make(options)
      yield* provider.get
      const all = yield* events
      assert.deepStrictEqual(tags(all).filter((t) => t === "Retry" || t === "TokenAcquired"), ["Retry", "Retry", "TokenAcquired"])
      assert.strictEqual(yield* grants, 1)
    }).pipe(Effect.provide(Layer.merge(emulatorEnv(), noDelayRetries))))

  it.scoped("a connection drop is a TransportError once retries run out", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      yield* control.injectFault({ path: "/services/oauth2/token", count: 10, kind: { _tag: "Drop" } })
      const provider = yield* ClientCredentials.make(options)
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error._tag, "TransportError")
      assert.strictEqual(error._tag === "TransportError" && error.reason, "Connection")
      const counters = yield* control.counters
      assert.strictEqual(counters.requestsPerPath["/services/oauth2/token"], 4)
    }).pipe(Effect.provide(Layer.merge(emulatorEnv(), noDelayRetries))))

  it.scoped("secrets never appear in events or errors", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      const wrong = yield* ClientCredentials.make({ ...options, clientSecret: Redacted.make("wrong-secret-value") })
      const error = yield* Effect.flip(wrong.get)
      const provider = yield* ClientCredentials.make({ ...options, introspect: true })
      const token = yield* provider.get
      yield* provider.refresh(token)
      const sessions = yield* control.sessions
      const all = yield* events
      assert.isAbove(all.length, 5)
      assertNoSecrets(
        [app.clientSecret, "wrong-secret-value", ...sessions.map((s) => s.token)],
        [...all, error, token, provider]
      )
    }).pipe(Effect.provide(emulatorEnv())))
})

describe("ClientCredentials configuration", () => {
  it.scoped("login.salesforce.com and test.salesforce.com are refused, before any request", () =>
    Effect.gen(function*() {
      for (const host of ["https://login.salesforce.com", "https://test.salesforce.com"]) {
        const { client, requests } = yield* stubClient([{ status: 200, body: "{}" }])
        const error = yield* Effect.flip(ClientCredentials.make(options).pipe(Effect.provide(stubEnv(client, host))))
        assert.strictEqual(error._tag, "InvalidConfigError")
        assert.match(error.message, /^Invalid baseUrl: the client credentials flow must be sent to the org's My Domain/)
        assert.match(error.message, /request not supported on this domain/)
        assert.deepStrictEqual(yield* requests, [])
      }
    }))

  it.scoped("empty credentials are refused", () =>
    Effect.gen(function*() {
      const { client } = yield* stubClient([{ status: 200, body: "{}" }])
      const empty = yield* Effect.flip(
        ClientCredentials.make({ ...options, clientSecret: Redacted.make("") }).pipe(Effect.provide(stubEnv(client)))
      )
      assert.strictEqual(empty.message, "Invalid clientSecret: must not be empty")
      const noId = yield* Effect.flip(ClientCredentials.make({ ...options, clientId: " " }).pipe(Effect.provide(stubEnv(client))))
      assert.strictEqual(noId.message, "Invalid clientId: must not be empty")
    }))

  it.scoped("a tokenLifetime not longer than the expiry margin is refused, naming both; a bare number gets a hint", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* stubClient([{ status: 200, body: "{}" }])
      const refuse = (extra: Partial<ClientCredentials.Options>) =>
        Effect.flip(ClientCredentials.make({ ...options, ...extra }).pipe(Effect.provide(stubEnv(client))))
      // aiosalesforce's timeout=900 is seconds; a bare number here is milliseconds
      const bare = yield* refuse({ tokenLifetime: 7200 })
      assert.strictEqual(bare._tag, "InvalidConfigError")
      assert.strictEqual(
        bare.message,
        "Invalid tokenLifetime: 7s 200ms is not longer than expiryMargin (1m): every token would count as expired on arrival; a bare number is milliseconds: did you mean \"7200 seconds\"?"
      )
      assert.match((yield* refuse({ tokenLifetime: "30 seconds" })).message, /^Invalid tokenLifetime: 30s is not longer than expiryMargin \(1m\)/)
      assert.match(
        (yield* refuse({ tokenLifetime: "1 hour", expiryMargin: "2 hours" })).message,
        /^Invalid tokenLifetime: 1h is not longer than expiryMargin \(2h\)/
      )
      // the plain options of layerConfig reach the layer too
      const viaConfig = yield* Effect.flip(
        Layer.build(ClientCredentials.layerConfig({ tokenLifetime: 900 })).pipe(
          Effect.provide(stubEnv(client)),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([
            ["SALESFORCE_CLIENT_ID", app.clientId],
            ["SALESFORCE_CLIENT_SECRET", app.clientSecret]
          ])))
        )
      )
      assert.match(String(viaConfig), /did you mean "900 seconds"\?/)
      assert.deepStrictEqual(yield* requests, [])
      // a short lifetime with a shorter margin is fine
      yield* ClientCredentials.make({ ...options, tokenLifetime: "30 seconds", expiryMargin: "5 seconds" }).pipe(
        Effect.provide(stubEnv(client))
      )
    }))

  it.scoped("layerConfig reads SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.Emulator
      const provider = yield* TokenProvider.TokenProvider
      const token = yield* provider.get
      assert.strictEqual(token.instanceUrl, baseUrl)
    }).pipe(
      Effect.provide(
        ClientCredentials.layerConfig().pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([
            ["SALESFORCE_CLIENT_ID", app.clientId],
            ["SALESFORCE_CLIENT_SECRET", app.clientSecret]
          ]))))
        )
      ),
      Effect.provide(emulatorEnv())
    ))

  it.scoped("layerConfig without the secret fails with a ConfigError naming it", () =>
    Effect.gen(function*() {
      const { client } = yield* stubClient([{ status: 200, body: "{}" }])
      const error = yield* Effect.flip(
        Layer.build(ClientCredentials.layerConfig()).pipe(
          Effect.provide(stubEnv(client)),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["SALESFORCE_CLIENT_ID", app.clientId]])))
        )
      )
      assert.match(String(error), /SALESFORCE_CLIENT_SECRET/)
    }))
})

describe("ClientCredentials with malformed answers (stub transport)", () => {
  const run = (answers: ReadonlyArray<{ status: number; body: string; headers?: Record<string, string> }>) =>
    Effect.gen(function*() {
      const { client, requests } = yield* stubClient(answers)
      const error = yield* Effect.flip(
        Effect.flatMap(ClientCredentials.make(options), (p) => p.get).pipe(Effect.provide(stubEnv(client)))
      )
      return { error: error as AuthError | { _tag: "InvalidConfigError"; message: string }, requests: yield* requests }
    })
  const token = JSON.stringify({ access_token: "00D000000000001!AQ.secret", instance_url: "https://acme.my.salesforce.com" })

  it.scoped("an HTML page", () =>
    Effect.gen(function*() {
      const { error } = yield* run([{ status: 200, body: "<!DOCTYPE html><html><body>Maintenance</body></html>" }])
      assert.strictEqual(error._tag, "MalformedResponseError")
      assert.strictEqual(
        error.message,
        "ClientCredentials: unexpected response from POST https://acme.my.salesforce.com/services/oauth2/token (HTTP 200): token response: an HTML page instead of JSON"
      )
    }))

  it.scoped("an empty body, truncated JSON, a JSON array", () =>
    Effect.gen(function*() {
      assert.match((yield* run([{ status: 200, body: "" }])).error.message, /token response: the body is empty$/)
      assert.match((yield* run([{ status: 200, body: token.slice(0, 30) }])).error.message, /token response: the JSON body is truncated or invalid$/)
      assert.match((yield* run([{ status: 200, body: "[]" }])).error.message, /token response: expected a JSON object$/)
    }))

  it.scoped("missing access_token / instance_url, without echoing values", () =>
    Effect.gen(function*() {
      const noToken = yield* run([{ status: 200, body: JSON.stringify({ instance_url: "https://acme.my.salesforce.com" }) }])
      assert.match(noToken.error.message, /token response: access_token is missing$/)
      const noUrl = yield* run([{ status: 200, body: JSON.stringify({ access_token: "00D000000000001!AQ.secret" }) }])
      assert.match(noUrl.error.message, /token response: instance_url is missing$/)
      assert.notInclude(noUrl.error.message, "secret")
      const wrongType = yield* run([{ status: 200, body: JSON.stringify({ access_token: 42, instance_url: "x" }) }])
      assert.match(wrongType.error.message, /access_token has the wrong type or is empty/)
      const badUrl = yield* run([{ status: 200, body: JSON.stringify({ access_token: "t", instance_url: "http://evil.example.com" }) }])
      assert.strictEqual(badUrl.error._tag, "MalformedResponseError")
      assert.match(badUrl.error.message, /instance URL: plain http is only allowed on loopback/)
    }))

  it.scoped("a 4xx that is not Salesforce's error JSON", () =>
    Effect.gen(function*() {
      const { error } = yield* run([{ status: 404, body: "<html>Not found</html>" }])
      assert.strictEqual(error._tag, "MalformedResponseError")
      assert.match(error.message, /\(HTTP 404\): expected Salesforce's error JSON .*: an HTML page instead of JSON$/)
    }))

  it.scoped("'token request is already being processed' is retried, not surfaced", () =>
    Effect.gen(function*() {
      const { client, requests } = yield* stubClient([
        { status: 400, body: JSON.stringify({ error: "invalid_grant", error_description: "token request is already being processed" }) },
        { status: 200, body: token }
      ])
      const got = yield* Effect.flatMap(ClientCredentials.make(options), (p) => p.get).pipe(Effect.provide(stubEnv(client)))
      assert.strictEqual(Redacted.value(got.value), "00D000000000001!AQ.secret")
      assert.strictEqual((yield* requests).length, 2)
      const body = (yield* requests)[0]!.body
      assert.strictEqual(body, `grant_type=client_credentials&client_id=${app.clientId}&client_secret=${app.clientSecret}`)
    }).pipe(Effect.provide(noDelayRetries)))

  it.effect("issued tokens carry the local clock, not the server's issued_at", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_000)
      const { client } = yield* stubClient([{
        status: 200,
        body: JSON.stringify({ access_token: "a", instance_url: "https://acme.my.salesforce.com", issued_at: "1700000000000" })
      }])
      const got = yield* Effect.scoped(
        Effect.flatMap(ClientCredentials.make({ ...options, tokenLifetime: "1 hour" }), (p) => p.get).pipe(
          Effect.provide(stubEnv(client))
        )
      )
      assert.deepStrictEqual(got.issuedAt, DateTime.unsafeMake(1_000))
    }))
})
