/**
 * Secret leakage: every auth method through its happy path, refreshes (401, expiry,
 * proactive, manual), rotation and failures, with a recording logger at Debug and a
 * subscriber on every event; a careless user logging tokens, providers and errors. Every log
 * line, event, error and emulator request URL is scanned for every secret used: zero hits.
 */
import * as AccessToken from "@effect-salesforce/auth/AccessToken"
import * as ClientCredentials from "@effect-salesforce/auth/ClientCredentials"
import * as JwtBearer from "@effect-salesforce/auth/JwtBearer"
import * as RefreshToken from "@effect-salesforce/auth/RefreshToken"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import * as SoapLogin from "@effect-salesforce/auth/SoapLogin"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Salesforce from "@effect-salesforce/client/Salesforce"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as crypto from "node:crypto"
import {
  allMethods,
  baseLayer,
  connect,
  defaults,
  emulator,
  figure,
  makeWitness,
  nextEvent,
  noHang,
  quickRetries,
  seen,
  witness
} from "./harness.js"

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, witness.loggerLayer)

/** A second user whose password needs every XML escape, with its own security token. */
const tricky = {
  username: "tricky@example.com",
  password: "p&ss<w>rd\"'-Tr1cky-Secret",
  securityToken: "TrickySecurityToken42"
}
witness.addSecret("tricky password", tricky.password)
witness.addSecret("tricky security token", tricky.securityToken)
witness.addSecret("tricky password+token", tricky.password + tricky.securityToken)
const wrongPassword = "Not-The-Password-But-Still-Secret!"
witness.addSecret("wrong password", wrongPassword)
const wrongClientSecret = "WrongClientSecretValue-0042"
witness.addSecret("wrong client secret", wrongClientSecret)
const unknownRefreshToken = "5Aep861UnknownRefreshTokenNeverIssued"
witness.addSecret("unknown refresh token", unknownRefreshToken)
const strangerKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString()
witness.addPem("unregistered private key", strangerKey)

/** What a careless user might log: tokens, providers, the client, errors. */
const logEverything = (values: Record<string, unknown>) =>
  Effect.forEach(Object.entries(values), ([label, value]) =>
    Effect.zipRight(Effect.logDebug(label, value), Effect.logInfo(`${label}: ${String(value)}`)), { discard: true })

const built = (layer: Layer.Layer<TokenProvider.TokenProvider>) =>
  Effect.flatMap(Layer.build(layer), (context) => Effect.provide(TokenProvider.TokenProvider, context))

describe("secrets: every method, happy path and refreshes", () => {
  for (const method of allMethods) {
    it.scopedLive(`${method}: acquire, REST, query, 401 refresh, manual refresh, proactive refresh`, () =>
      Effect.gen(function*() {
        const { control, provider, sf } = yield* connect(method, {
          emulator: { refreshTokenRotation: method === "RefreshToken" }
        })
        const token = yield* provider.get
        yield* sf.limits
        yield* Stream.runCollect(sf.query("SELECT Id, Name FROM Account"))
        const { id } = yield* sf.sobject("Account").create({ Name: `Secretive ${method}` })
        yield* sf.sobject("Account").get(id)
        seen(yield* Effect.flip(sf.sobject("Account").get("001000000000000AAA")))
        yield* control.expireAllSessions
        yield* sf.limits // 401, refresh(stale), resend
        const refreshed = yield* provider.refresh()
        assert.isFalse(AccessToken.sameValue(token, refreshed))
        yield* logEverything({ token, refreshed, provider, sf, bearer: AccessToken.bearer(refreshed), value: refreshed.value })
        yield* sf.limits
      }).pipe(observed))
  }

  it.scopedLive("proactive refresh in the background (ClientCredentials with a 3 s lifetime)", () =>
    Effect.gen(function*() {
      const emu = yield* emulator()
      const context = yield* Layer.build(
        ClientCredentials.layer({
          clientId: defaults.clientId,
          clientSecret: Redacted.make(defaults.clientSecret),
          tokenLifetime: "3 seconds",
          expiryMargin: "1 second",
          proactiveRefresh: { ahead: "1 second" }
        }).pipe(Layer.provideMerge(baseLayer(emu.baseUrl)), Layer.provideMerge(RetryPolicy.layer(quickRetries)), Layer.orDie)
      )
      const provider = yield* Effect.provide(TokenProvider.TokenProvider, context)
      const bus = yield* Effect.provide(SalesforceEvents.SalesforceEvents, context)
      const proactive = yield* nextEvent(bus, (e) => e._tag === "TokenRefreshed" && e.trigger === "proactive")
      const first = yield* provider.get
      yield* proactive.pipe(noHang("10 seconds", "the proactive refresh"))
      const grants = (yield* emu.control.counters).grantsPerType["client_credentials"] ?? 0
      assert.strictEqual(grants, 2, "the proactive refresh ran")
      const second = yield* provider.get
      assert.isFalse(AccessToken.sameValue(first, second))
      yield* logEverything({ first, second })
    }).pipe(observed))
})

describe("secrets: failures and rotation", () => {
  it.scopedLive("wrong password, wrong client secret, unknown refresh token, unregistered JWT key: errors carry no secret", () =>
    Effect.gen(function*() {
      const emu = yield* emulator({
        users: [
          { username: defaults.username, password: defaults.password, securityToken: defaults.securityToken },
          { username: tricky.username, password: tricky.password, securityToken: tricky.securityToken }
        ]
      })
      const env = Layer.mergeAll(baseLayer(emu.baseUrl), RetryPolicy.layer(quickRetries))
      const providers = {
        soapWrong: SoapLogin.layer({ username: defaults.username, password: Redacted.make(wrongPassword), securityToken: Redacted.make(defaults.securityToken) }),
        soapTricky: SoapLogin.layer({ username: tricky.username, password: Redacted.make(tricky.password), securityToken: Redacted.make(tricky.securityToken) }),
        ccWrong: ClientCredentials.layer({ clientId: defaults.clientId, clientSecret: Redacted.make(wrongClientSecret) }),
        refreshUnknown: RefreshToken.layer({ clientId: defaults.clientId, refreshToken: Redacted.make(unknownRefreshToken) }),
        jwtStranger: JwtBearer.layer({ clientId: defaults.clientId, username: defaults.username, privateKey: Redacted.make(strangerKey) }),
        jwtUnknownUser: JwtBearer.layer({ clientId: defaults.clientId, username: "nobody@example.com", privateKey: Redacted.make(defaults.privateKey) })
      }
      const outcomes: Record<string, string> = {}
      for (const [name, layer] of Object.entries(providers)) {
        const provider = yield* built(layer.pipe(Layer.provide(env), Layer.orDie))
        const exit = yield* Effect.exit(provider.get)
        seen(exit)
        if (exit._tag === "Failure") {
          const error = yield* Effect.flip(provider.get) // from the cool-down
          seen(error)
          yield* Effect.logError(`${name} failed`, error)
          outcomes[name] = error._tag === "AuthenticationError" ? error.code : error._tag
        } else {
          const token = exit.value
          yield* logEverything({ [name]: token })
          outcomes[name] = "ok"
        }
      }
      assert.deepStrictEqual(outcomes, {
        soapWrong: "INVALID_LOGIN",
        soapTricky: "ok",
        ccWrong: "invalid_client",
        refreshUnknown: "invalid_grant",
        jwtStranger: "invalid_grant",
        jwtUnknownUser: "invalid_grant"
      })
      const counters = yield* emu.control.counters
      assert.strictEqual(counters.failedLoginsPerUser[defaults.username], 1, "one failed login, then the cool-down")
      figure("secrets.failures", outcomes)
    }).pipe(observed))

  it.scopedLive("refresh-token rotation: new tokens are secrets too; a failing onRotate is logged without the token", () =>
    Effect.gen(function*() {
      const emu = yield* emulator({ refreshTokenRotation: true })
      let rotations = 0
      const provider = yield* built(
        RefreshToken.layer({
          clientId: defaults.clientId,
          clientSecret: Redacted.make(defaults.clientSecret),
          refreshToken: Redacted.make(defaults.refreshToken),
          onRotate: (token) => {
            rotations++
            return Effect.fail(new Error(`vault unavailable (token length ${Redacted.value(token).length})`))
          }
        }).pipe(Layer.provide(Layer.mergeAll(baseLayer(emu.baseUrl), RetryPolicy.layer(quickRetries))), Layer.orDie)
      )
      const first = yield* provider.get
      const second = yield* provider.refresh(first)
      const third = yield* provider.refresh(second)
      yield* logEverything({ first, second, third })
      assert.strictEqual(rotations, 3)
      const tokens = yield* emu.control.refreshTokens
      assert.strictEqual(tokens.filter((t) => t.status === "rotated").length, 3)
    }).pipe(observed))

  it.scopedLive("introspection that fails is logged as a warning without the token", () =>
    Effect.gen(function*() {
      const emu = yield* emulator()
      yield* emu.control.injectFault({ path: "/services/oauth2/introspect", count: 10, kind: { _tag: "Status", status: 500, body: "boom" } })
      const provider = yield* built(
        ClientCredentials.layer({ clientId: defaults.clientId, clientSecret: Redacted.make(defaults.clientSecret), introspect: true }).pipe(
          Layer.provide(Layer.mergeAll(baseLayer(emu.baseUrl), RetryPolicy.layer(quickRetries))),
          Layer.orDie
        )
      )
      const token = yield* provider.get
      assert.isTrue(token.expiresAt._tag === "None")
      const introspected = (yield* emu.control.counters).requestsPerPath["/services/oauth2/introspect"] ?? 0
      assert.isAbove(introspected, 0)
    }).pipe(observed))

  it.scopedLive("a client over a static token and a rejected static token", () =>
    Effect.gen(function*() {
      const emu = yield* emulator()
      const cc = yield* built(
        ClientCredentials.layer({ clientId: defaults.clientId, clientSecret: Redacted.make(defaults.clientSecret) }).pipe(
          Layer.provide(baseLayer(emu.baseUrl)),
          Layer.orDie
        )
      )
      const issued = yield* cc.get
      const context = yield* Layer.build(
        Layer.mergeAll(TokenProvider.layerStatic({ accessToken: issued.value, instanceUrl: emu.baseUrl }), baseLayer(emu.baseUrl)).pipe(Layer.orDie)
      )
      const sf = yield* Salesforce.make({ retryPolicy: quickRetries }).pipe(Effect.provide(context))
      yield* sf.limits
      yield* emu.control.expireAllSessions
      const error = seen(yield* Effect.flip(sf.limits))
      assert.strictEqual(error._tag, "AuthenticationError")
      yield* logEverything({ error, sf })
    }).pipe(observed))
})

describe("secrets: the witness itself", () => {
  it.scoped("finds a planted secret in a log line, an event, an error and a URL (the scan is not blind)", () =>
    Effect.gen(function*() {
      const probe = makeWitness()
      const planted = "Planted-Secret-Value-123"
      probe.addSecret("planted", planted)
      const bus = yield* Layer.build(probe.bus()).pipe(Effect.map((c) => Context.get(c, SalesforceEvents.SalesforceEvents)))
      yield* bus.publish(SalesforceEvent.Request({ source: "client", method: "GET", url: `https://x.my.salesforce.com/q?token=${planted}` }))
      yield* Effect.logDebug(`careless ${planted}`).pipe(Effect.provide(probe.loggerLayer))
      probe.recordValue("error", new Error(`boom ${planted}`))
      probe.record("url", `/services/data/v64.0/query?q=${planted}`)
      yield* Effect.yieldNow()
      yield* probe.flush
      const sources = new Set(probe.hits.map((h) => h.source))
      assert.deepStrictEqual([...sources].sort(), ["error", "event", "log", "url"])
      assert.isTrue(probe.hits.every((h) => !h.excerpt.includes(planted)), "hits are reported without the secret")
    }))
})

describe("secrets: the scan", () => {
  it.effect("no secret in any log line, event, error or request URL of this file", () =>
    Effect.gen(function*() {
      const summary = yield* witness.assertClean
      assert.isAbove(summary.log ?? 0, 0, "the logger saw lines")
      assert.isAbove(summary.events, 0, "the subscriber saw events")
      assert.isAbove(summary.url ?? 0, 0, "the request log was read")
      figure("secrets.secrets", summary)
    }))
})
