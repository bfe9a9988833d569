import { assert, describe, it } from "@effect/vitest"
import * as SoapLogin from "@effect-salesforce/auth/SoapLogin"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import { Emulator } from "@effect-salesforce/emulator"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { assertNoSecrets, emulatorEnv, noDelayRetries, recordEvents, stubClient, stubEnv, tags, user } from "./helpers.js"

const options = {
  username: user.username,
  password: Redacted.make(user.password),
  securityToken: Redacted.make(user.securityToken)
}
const soapLogins = Effect.flatMap(Emulator.Emulator, (e) => Effect.map(e.control.counters, (c) => c.grantsPerType["soap"] ?? 0))
const invalidLogin = "SoapLogin: [INVALID_LOGIN] Invalid username, password, security token; or user locked out."

describe("SoapLogin against the emulator", () => {
  it.scoped("logs in: session id, instance URL from serverUrl, expiry from sessionSecondsValid", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.Emulator
      const provider = yield* SoapLogin.make(options)
      const token = yield* provider.get
      assert.strictEqual(token.instanceUrl, baseUrl)
      assert.strictEqual(Option.getOrThrow(token.expiresAt).epochMillis - token.issuedAt.epochMillis, 7200 * 1000)
      const sessions = yield* control.sessions
      assert.deepStrictEqual(sessions.map((s) => [s.token, s.grant]), [[Redacted.value(token.value), "soap"]])
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("10 concurrent callers cause one login", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const provider = yield* SoapLogin.make(options)
      const tokens = yield* Effect.all(Array.from({ length: 10 }, () => provider.get), { concurrency: "unbounded" })
      assert.strictEqual(new Set(tokens.map((t) => Redacted.value(t.value))).size, 1)
      assert.strictEqual(yield* soapLogins, 1)
      assert.strictEqual((yield* control.counters).loginsPerUser[user.username], 1)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("a wrong password is INVALID_LOGIN, exactly; one failed login for many callers", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const provider = yield* SoapLogin.make({ ...options, password: Redacted.make("not-the-password") })
      const errors = yield* Effect.all(Array.from({ length: 10 }, () => Effect.flip(provider.get)), { concurrency: "unbounded" })
      errors.push(yield* Effect.flip(provider.get))
      for (const error of errors) {
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.strictEqual(error.message, invalidLogin)
        assert.strictEqual(error._tag === "AuthenticationError" && error.status, 500)
      }
      assert.strictEqual((yield* control.counters).failedLoginsPerUser[user.username], 1)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("without the security token from an untrusted IP: LOGIN_MUST_USE_SECURITY_TOKEN", () =>
    Effect.gen(function*() {
      const provider = yield* SoapLogin.make({ username: user.username, password: Redacted.make(user.password) })
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error._tag === "AuthenticationError" && error.code, "LOGIN_MUST_USE_SECURITY_TOKEN")
      assert.match(error.message, /^SoapLogin: \[LOGIN_MUST_USE_SECURITY_TOKEN\] Invalid username, password, security token/)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("a trusted-IP user logs in without a token (an empty one counts as none)", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      yield* control.addUser({ username: "trusted@example.com", password: "Trusted-Passw0rd", securityToken: "Unused123", trustedIp: true })
      for (const securityToken of [undefined, Redacted.make("")]) {
        const provider = yield* SoapLogin.make({ username: "trusted@example.com", password: Redacted.make("Trusted-Passw0rd"), securityToken })
        yield* provider.get
      }
      assert.strictEqual((yield* control.counters).loginsPerUser["trusted@example.com"], 2)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("past expiry (TestClock), one new login for 10 callers", () =>
    Effect.gen(function*() {
      const provider = yield* SoapLogin.make({ ...options, proactiveRefresh: false })
      const first = yield* provider.get
      yield* TestClock.adjust("2 hours")
      const next = yield* Effect.all(Array.from({ length: 10 }, () => provider.get), { concurrency: "unbounded" })
      assert.strictEqual(new Set(next.map((t) => Redacted.value(t.value))).size, 1)
      assert.notStrictEqual(Redacted.value(next[0]!.value), Redacted.value(first.value))
      assert.strictEqual(yield* soapLogins, 2)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("a 30-second session (sessionSecondsValid 30) and an hour idle: two logins, no loop", () =>
    Effect.gen(function*() {
      // the default 60 s margin is longer than the session: it shrinks to a quarter of it
      const provider = yield* SoapLogin.make(options)
      const first = yield* provider.get
      assert.isTrue(Option.isSome(first.expiresAt))
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(yield* provider.get, first, "the short-lived token is used, not replaced on arrival")
      for (let minute = 0; minute < 60; minute++) yield* TestClock.adjust("1 minute")
      // one background refresh of the token a caller used; its successor, unused, is left to expire
      assert.strictEqual(yield* soapLogins, 2)
      const later = yield* provider.get
      assert.notStrictEqual(Redacted.value(later.value), Redacted.value(first.value))
      assert.strictEqual(yield* soapLogins, 3)
    }).pipe(Effect.provide(emulatorEnv({ sessionLifetime: "30 seconds" }))))

  it.scoped("within the expiry margin, the token is replaced; before it, not", () =>
    Effect.gen(function*() {
      const provider = yield* SoapLogin.make({ ...options, proactiveRefresh: false, expiryMargin: "5 minutes" })
      yield* provider.get
      yield* TestClock.adjust("114 minutes")
      yield* provider.get
      assert.strictEqual(yield* soapLogins, 1)
      yield* TestClock.adjust("1 minute")
      yield* provider.get
      assert.strictEqual(yield* soapLogins, 2)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("events of one login: Request, Response, TokenAcquired", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      const provider = yield* SoapLogin.make(options)
      yield* Effect.all(Array.from({ length: 5 }, () => provider.get), { concurrency: "unbounded" })
      const all = yield* events
      assert.deepStrictEqual(tags(all), ["Request", "Response", "TokenAcquired"])
      assert.strictEqual(all[0]?._tag === "Request" && all[0].url, `${baseUrl}/services/Soap/u/64.0`)
      const acquired = all[2]
      assert.isTrue(acquired?._tag === "TokenAcquired" && Option.isSome(acquired.expiresAt))
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("passwordExpired is PASSWORD_EXPIRED and the restricted session is never cached", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      yield* control.addUser({ username: "expired@example.com", password: "Old-Passw0rd", trustedIp: true, passwordExpired: true })
      const provider = yield* SoapLogin.make({
        username: "expired@example.com",
        password: Redacted.make("Old-Passw0rd"),
        failureCooldown: 0
      })
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error._tag === "AuthenticationError" && error.code, "PASSWORD_EXPIRED")
      assert.match(error.message, /^SoapLogin: \[PASSWORD_EXPIRED\] the password has expired/)
      // nothing cached: the next call logs in again (and fails again)
      const again = yield* Effect.flip(provider.get)
      assert.strictEqual(again._tag === "AuthenticationError" && again.code, "PASSWORD_EXPIRED")
      assert.strictEqual((yield* control.counters).loginsPerUser["expired@example.com"], 2)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("SOAP login disabled in the org: INVALID_OPERATION", () =>
    Effect.gen(function*() {
      const provider = yield* SoapLogin.make(options)
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error._tag === "AuthenticationError" && error.code, "INVALID_OPERATION")
      assert.match(error.message, /SOAP API login\(\) is disabled by default in this org/)
    }).pipe(Effect.provide(emulatorEnv({ soapLogin: "disabled" }))))

  it.scoped("the login version is pinned to 64.0 whatever the REST apiVersion", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const provider = yield* SoapLogin.make(options)
      yield* provider.get
      const log = yield* control.requestLog
      assert.deepStrictEqual(log.map((r) => r.path), ["/services/Soap/u/64.0"])
      assert.strictEqual(log[0]!.headers["soapaction"], "login")
      assert.match(log[0]!.headers["content-type"] ?? "", /^text\/xml; charset=UTF-8/i)
    }).pipe(Effect.provide(emulatorEnv({}, { apiVersion: "66.0" }))))

  it.scoped("a 5xx without a fault and a 429 are retried; a non-SOAP 200 is malformed", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      yield* control.injectFault({ path: "/services/Soap/u/", kind: { _tag: "Status", status: 503, body: "<html>down</html>" } })
      yield* control.injectFault({ path: "/services/Soap/u/", kind: { _tag: "Status", status: 429, body: "" } })
      const provider = yield* SoapLogin.make(options)
      yield* provider.get
      assert.deepStrictEqual(tags(yield* events).filter((t) => t === "Retry"), ["Retry", "Retry"])
      yield* control.injectFault({
        path: "/services/Soap/u/",
        kind: { _tag: "Malformed", body: "<!DOCTYPE html><html>Login</html>" }
      })
      const error = yield* Effect.flip(provider.refresh())
      assert.strictEqual(error._tag, "MalformedResponseError")
      assert.match(error.message, /\(HTTP 200\): SOAP login response: an HTML page instead of a SOAP envelope$/)
    }).pipe(Effect.provide(Layer.merge(emulatorEnv(), noDelayRetries))))

  it.scoped("passwords with all five XML entities and non-ASCII log in; the wire carries escaped XML", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const passwords = [`p&ss<w>rd"'`, "pässwörd-密码-😀", "&amp;literal]]>"]
      for (const [i, password] of passwords.entries()) {
        const username = `special${i}@example.com`
        yield* control.addUser({ username, password, securityToken: "Tok3n&<" })
        const provider = yield* SoapLogin.make({
          username,
          password: Redacted.make(password),
          securityToken: Redacted.make("Tok3n&<")
        })
        yield* provider.get
        assert.strictEqual((yield* control.counters).loginsPerUser[username], 1)
      }
      const bodies = (yield* control.requestLog).map((r) => r.body)
      assert.include(bodies[0], "<urn:password>p&amp;ss&lt;w&gt;rd&quot;&apos;Tok3n&amp;&lt;</urn:password>")
      assert.include(bodies[1], "<urn:password>pässwörd-密码-😀Tok3n&amp;&lt;</urn:password>")
      assert.include(bodies[2], "<urn:password>&amp;amp;literal]]&gt;Tok3n&amp;&lt;</urn:password>")
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("secrets never appear in events or errors", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      const wrong = yield* SoapLogin.make({ ...options, password: Redacted.make("Wr0ng-Passw0rd") })
      const errors: Array<unknown> = [yield* Effect.flip(wrong.get)]
      const provider = yield* SoapLogin.make(options)
      const token = yield* provider.get
      yield* provider.refresh(token)
      yield* control.injectFault({ path: "/services/Soap/u/", kind: { _tag: "Malformed", body: "<html/>" } })
      errors.push(yield* Effect.flip(provider.refresh()))
      errors.push(yield* Effect.flip(SoapLogin.make({ ...options, password: Redacted.make("bad\u0001Passw0rd") })))
      const sessions = yield* control.sessions
      assertNoSecrets(
        [user.password, user.securityToken, "Wr0ng-Passw0rd", "Passw0rd", ...sessions.map((s) => s.token)],
        [...(yield* events), ...errors, token, provider]
      )
    }).pipe(Effect.provide(emulatorEnv())))
})

describe("SoapLogin configuration", () => {
  const build = (opts: SoapLogin.Options) =>
    Effect.gen(function*() {
      const { client, requests } = yield* stubClient([{ status: 200, body: "" }])
      const error = yield* Effect.flip(SoapLogin.make(opts).pipe(Effect.provide(stubEnv(client))))
      assert.deepStrictEqual(yield* requests, [])
      return error
    })

  it.scoped("control characters are refused without echoing the password", () =>
    Effect.gen(function*() {
      const error = yield* build({ ...options, password: Redacted.make("secret\u0000value") })
      assert.strictEqual(error._tag, "InvalidConfigError")
      assert.match(error.message, /^Invalid password: contains a control character .* that XML 1\.0 cannot carry/)
      assert.notInclude(error.message, "secret")
      const token = yield* build({ ...options, securityToken: Redacted.make("tok\u001b") })
      assert.match(token.message, /^Invalid securityToken:/)
      const name = yield* build({ ...options, username: "user\u0007@example.com" })
      assert.match(name.message, /^Invalid username:/)
    }))

  it.scoped("a login version of 65.0 or later is refused with a pointer to OAuth flows", () =>
    Effect.gen(function*() {
      const error = yield* build({ ...options, soapApiVersion: 65 })
      assert.strictEqual(
        error.message,
        "Invalid soapApiVersion: SOAP login() is not available in API 65.0 (removed from 65.0); use 64.0 or earlier, or move to ClientCredentials or JwtBearer"
      )
      assert.match((yield* build({ ...options, soapApiVersion: "latest" })).message, /^Invalid soapApiVersion:/)
    }))

  it.scoped("an empty password is refused", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* build({ ...options, password: Redacted.make("") })).message, "Invalid password: must not be empty")
    }))

  it.scoped("layerConfig reads SALESFORCE_USERNAME, SALESFORCE_PASSWORD, SALESFORCE_SECURITY_TOKEN", () =>
    Effect.gen(function*() {
      const provider = yield* TokenProvider.TokenProvider
      yield* provider.get
      assert.strictEqual(yield* soapLogins, 1)
    }).pipe(
      Effect.provide(
        SoapLogin.layerConfig().pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(
            new Map([
              ["SALESFORCE_USERNAME", user.username],
              ["SALESFORCE_PASSWORD", user.password],
              ["SALESFORCE_SECURITY_TOKEN", user.securityToken]
            ])
          )))
        )
      ),
      Effect.provide(emulatorEnv())
    ))
})

describe("SoapLogin with unusual answers (stub transport)", () => {
  const envelope = (body: string, ns = "") =>
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ${ns}><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`
  const run = (status: number, body: string) =>
    Effect.gen(function*() {
      const { client } = yield* stubClient([{ status, body }])
      return yield* Effect.flip(
        Effect.flatMap(SoapLogin.make({ ...options, failureCooldown: 0 }), (p) => p.get).pipe(Effect.provide(stubEnv(client)))
      )
    }).pipe(Effect.provide(noDelayRetries))

  it.scoped("a response without sessionId says so", () =>
    Effect.gen(function*() {
      const error = yield* run(
        200,
        envelope(
          "<loginResponse><result><serverUrl>https://acme.my.salesforce.com/services/Soap/u/64.0/00D</serverUrl></result></loginResponse>",
          "xmlns=\"urn:partner.soap.sforce.com\""
        )
      )
      assert.strictEqual(error._tag, "MalformedResponseError")
      assert.match(error.message, /SOAP login response: sessionId is missing$/)
    }))

  it.scoped("a fault without detail falls back to faultcode and faultstring, prefix stripped", () =>
    Effect.gen(function*() {
      const error = yield* run(
        500,
        envelope(
          "<soapenv:Fault><faultcode>sf:API_DISABLED_FOR_ORG</faultcode><faultstring>API_DISABLED_FOR_ORG: API is not enabled for this Organization or Partner</faultstring></soapenv:Fault>"
        )
      )
      assert.strictEqual(error.message, "SoapLogin: [API_DISABLED_FOR_ORG] API is not enabled for this Organization or Partner")
    }))

  it.scoped("truncated XML, HTML, empty and non-envelope bodies are malformed", () =>
    Effect.gen(function*() {
      assert.match((yield* run(200, envelope("<loginResponse><result>").slice(0, 150))).message, /not well-formed XML/)
      assert.match((yield* run(200, "<html><body>Maintenance</body></html>")).message, /an HTML page instead of a SOAP envelope$/)
      assert.match((yield* run(200, "")).message, /the body is empty$/)
      assert.match((yield* run(200, "<root/>")).message, /the XML is not a SOAP envelope$/)
      assert.match((yield* run(404, "Not found")).message, /\(HTTP 404\): SOAP login response: the body is not XML$/)
    }))

  it.scoped("a 500 without a fault is transient, and fails as TransportError once retries run out", () =>
    Effect.gen(function*() {
      const error = yield* run(500, "<html>Internal error</html>")
      assert.strictEqual(error._tag, "TransportError")
      assert.strictEqual(error._tag === "TransportError" && error.status, 500)
    }))
})
