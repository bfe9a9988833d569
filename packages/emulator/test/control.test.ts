import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Scope from "effect/Scope"
import * as Exit from "effect/Exit"
import { Emulator } from "../src/index.js"
import { checksum, makeIdGenerator, normalizeId } from "../src/internal/ids.js"
import { accessToken, defaultPassword, defaultUser, get, send, soapLogin, withToken } from "./helpers.js"

const control = (baseUrl: string, method: "GET" | "POST" | "DELETE", path: string, body?: unknown) =>
  send(
    HttpClientRequest.make(method)(`${baseUrl}/__emulator${path}`).pipe(
      body === undefined ? (r) => r : HttpClientRequest.bodyUnsafeJson(body)
    )
  )

describe("control handle", () => {
  it.scoped("the request log records method, path with query, headers and body", () =>
    Effect.gen(function*() {
      const { emulator, token, api } = yield* withToken()
      yield* get(`${api}/query?q=SELECT+Id+FROM+Account`, token, { "Sforce-Call-Options": "client=test" })
      const log = yield* emulator.control.requestLog
      const [tokenRequest, query] = log
      assert.strictEqual(tokenRequest!.method, "POST")
      assert.strictEqual(tokenRequest!.path, "/services/oauth2/token")
      assert.include(tokenRequest!.body, "grant_type=client_credentials")
      assert.strictEqual(tokenRequest!.headers["content-type"], "application/x-www-form-urlencoded")
      assert.strictEqual(query!.path, "/services/data/v64.0/query?q=SELECT+Id+FROM+Account")
      assert.strictEqual(query!.headers["sforce-call-options"], "client=test")
      assert.strictEqual(query!.headers["authorization"], `Bearer ${token}`)
      assert.strictEqual(query!.status, 200)
    }))

  it.scoped("sessions and refresh tokens are exposed", () =>
    Effect.gen(function*() {
      const { emulator, token } = yield* withToken()
      const sessions = yield* emulator.control.sessions
      assert.strictEqual(sessions[0]!.token, token)
      assert.strictEqual(sessions[0]!.grant, "client_credentials")
      assert.strictEqual(sessions[0]!.expiresAt - sessions[0]!.issuedAt, 7_200_000)
      const refresh = yield* emulator.control.refreshTokens
      assert.deepStrictEqual(refresh.map((r) => r.status), ["active"])
    }))

  it.scoped("reset returns to the start state", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken()
      yield* control.insertRecord("Account", { Name: "Temp" })
      yield* control.advanceClock("1 hour")
      yield* control.reset
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 401)
      assert.lengthOf((yield* control.records("Account")), 3)
      const counters = yield* control.counters
      assert.strictEqual(counters.totalRequests, 1)
      assert.isBelow(Math.abs((yield* control.now) - Date.now()), 1000)
    }))

  it.scoped("scope close stops the server", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { baseUrl } = yield* Emulator.make().pipe(Scope.extend(scope))
      assert.strictEqual((yield* get(`${baseUrl}/services/data/`)).status, 200)
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(Either.isLeft(yield* Effect.either(get(`${baseUrl}/services/data/`))))
    }))

  it.scoped("two emulators in one process are independent", () =>
    Effect.gen(function*() {
      const a = yield* Emulator.make()
      const b = yield* Emulator.make({ users: [{ username: "b@example.com", password: "pw", securityToken: "T" }] })
      assert.notStrictEqual(a.baseUrl, b.baseUrl)
      const tokenA = yield* accessToken(a.baseUrl)
      assert.strictEqual((yield* get(`${a.baseUrl}/services/data/v64.0/limits`, tokenA)).status, 200)
      assert.strictEqual((yield* get(`${b.baseUrl}/services/data/v64.0/limits`, tokenA)).status, 401)
      assert.strictEqual((yield* soapLogin(b.baseUrl, "b@example.com", "pwT")).status, 200)
      assert.strictEqual((yield* soapLogin(b.baseUrl, defaultUser.username, defaultPassword)).status, 500)
      yield* a.control.advanceClock("3 hours")
      assert.strictEqual((yield* get(`${a.baseUrl}/services/data/v64.0/limits`, tokenA)).status, 401)
      assert.strictEqual((yield* b.control.counters).loginsPerUser["b@example.com"], 1)
    }))

  it.scoped("Emulator.layer provides the service", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.Emulator
      assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.strictEqual((yield* control.counters).totalRequests, 0)
    }).pipe(Effect.provide(Emulator.layer())))
})

describe("control over HTTP", () => {
  it.scoped("counters, requests, clock, sessions, faults, records, users, reset", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const token = yield* accessToken(baseUrl)
      const api = `${baseUrl}/services/data/v64.0`
      const counters = yield* control(baseUrl, "GET", "/counters")
      assert.strictEqual(counters.json.grantsPerType.client_credentials, 1)
      assert.strictEqual(counters.json.totalRequests, 1) // control calls are not counted
      assert.lengthOf((yield* control(baseUrl, "GET", "/requests")).json, 1)
      const sessions = yield* control(baseUrl, "GET", "/sessions")
      assert.strictEqual(sessions.json[0].token, token)

      const before = (yield* control(baseUrl, "GET", "/clock")).json.now
      const after = (yield* control(baseUrl, "POST", "/clock/advance", { duration: "3 hours" })).json.now
      assert.isAtLeast(after - before, 3 * 3_600_000)
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 401)

      const fresh = yield* accessToken(baseUrl)
      yield* control(baseUrl, "POST", "/faults", { pathRegex: "/limits$", count: 1, kind: { _tag: "Status", status: 429, body: "slow down" } })
      const limited = yield* get(`${api}/limits`, fresh)
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.text, "slow down")
      assert.strictEqual((yield* control(baseUrl, "POST", "/sessions/revoke", { token: fresh })).json.revoked, true)
      assert.strictEqual((yield* get(`${api}/limits`, fresh)).status, 401)

      const third = yield* accessToken(baseUrl)
      yield* control(baseUrl, "POST", "/sessions/expire-all")
      assert.strictEqual((yield* get(`${api}/limits`, third)).status, 401)

      const created = yield* control(baseUrl, "POST", "/records/Account", { Name: "Over HTTP" })
      assert.match(created.json.id, /^001/)
      assert.lengthOf((yield* control(baseUrl, "GET", "/records/Account")).json, 4)
      const user = yield* control(baseUrl, "POST", "/users", { username: "http@example.com", password: "pw", trustedIp: true })
      assert.match(user.json.userId, /^005/)
      assert.strictEqual((yield* soapLogin(baseUrl, "http@example.com", "pw")).status, 200)
      yield* control(baseUrl, "POST", "/session-lifetime", { seconds: 60 })
      const lifetime = xmlSessionSeconds((yield* soapLogin(baseUrl, "http@example.com", "pw")).text)
      assert.strictEqual(lifetime, "60")
      yield* control(baseUrl, "POST", "/soap-login", { mode: "disabled" })
      assert.strictEqual((yield* soapLogin(baseUrl, "http@example.com", "pw")).status, 500)
      yield* control(baseUrl, "POST", "/api-usage", { used: 14999 })
      assert.strictEqual((yield* control(baseUrl, "GET", "/counters")).json.apiUsage.used, 14999)
      const rt = yield* control(baseUrl, "POST", "/refresh-tokens", { clientId: "3MVG9EmulatorDefaultClientId", username: "user@example.com" })
      assert.match(rt.json.token, /^5Aep861/)
      assert.strictEqual((yield* control(baseUrl, "GET", "/info")).json.orgId, Emulator.defaultOptions.orgId)
      yield* control(baseUrl, "POST", "/reset")
      assert.strictEqual((yield* control(baseUrl, "GET", "/counters")).json.totalRequests, 0)
      const unknown = yield* control(baseUrl, "GET", "/nope")
      assert.strictEqual(unknown.status, 404)
      const bad = yield* control(baseUrl, "POST", "/faults", { kind: { _tag: "Drop" } })
      assert.strictEqual(bad.status, 400)
    }))
})

const xmlSessionSeconds = (xml: string) => /<sessionSecondsValid>(\d+)</.exec(xml)?.[1]

describe("ids", () => {
  it("computes the case-safe suffix", () => {
    assert.strictEqual(checksum("001A0000006Vm9r"), "IAC")
    assert.strictEqual(normalizeId("001A0000006Vm9r"), "001A0000006Vm9rIAC")
    assert.strictEqual(normalizeId("001A0000006Vm9riac"), "001A0000006Vm9rIAC")
    assert.isUndefined(normalizeId("001A0000006Vm9rAAA"))
    assert.isUndefined(normalizeId("not-an-id"))
  })

  it("generates unique 18-character ids with the prefix", () => {
    const ids = makeIdGenerator()
    const made = Array.from({ length: 1000 }, () => ids.next("001"))
    assert.strictEqual(new Set(made).size, 1000)
    for (const id of made) {
      assert.match(id, /^001[A-Za-z0-9]{15}$/)
      assert.strictEqual(normalizeId(id), id)
    }
  })
})
