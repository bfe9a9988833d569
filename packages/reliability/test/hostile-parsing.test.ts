/**
 * Hostile bodies, over real HTTP against the emulator's injected answers: what the library
 * does to server text stays bounded (SOAP depth and size limits, bounded summaries and
 * classification, bounded error bodies), server numbers are read strictly, and no decoded
 * object gets a prototype the server chose. Speed figures are in `npm run bench -- hostile`;
 * here only behaviour is asserted.
 */
import { assert, describe, it } from "@effect/vitest"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as util from "node:util"
import { connect, figure, seen, tokenPath, v, witness } from "./harness.js"
import { soapLoginAnswer } from "./hostileServers.js"

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, witness.loggerLayer)

const fakeToken = "00D8d000004PaRsE!AQcAQFakeTokenInAHostileAnswer3Zt"
witness.addSecret("fake access token (parsing)", fakeToken)

let tried = 0

/** How deep a decoded JSON value nests (iteratively: the value may be deep). */
const depthOf = (value: unknown): number => {
  let max = 0
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [u, d] = stack.pop()!
    max = Math.max(max, d)
    if (typeof u === "object" && u !== null) for (const child of Object.values(u)) stack.push([child, d + 1])
  }
  return max
}

const xml = { "content-type": "text/xml;charset=UTF-8" }
const json = { "content-type": "application/json;charset=UTF-8" }

describe("hostile bodies: SOAP login", () => {
  const soapCases: ReadonlyArray<{ readonly name: string; readonly body: (baseUrl: string) => string; readonly detail: RegExp }> = [
    {
      name: "nested 40 elements deep inside the result",
      body: (base) =>
        soapLoginAnswer({ sessionId: fakeToken, serverUrl: `${base}/services/Soap/u/64.0/00D` }).replace(
          "<passwordExpired>",
          `${"<x>".repeat(40)}${"</x>".repeat(40)}<passwordExpired>`
        ),
      detail: /SOAP login response: the XML is nested deeper than 32 elements/
    },
    {
      name: "nested 20,000 elements deep (the whole body under the size limit)",
      body: () =>
        `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">${"<a>".repeat(8000)}${
          "</a>".repeat(8000)
        }</soapenv:Envelope>`,
      detail: /nested deeper than 32 elements/
    },
    {
      name: "larger than 64 KB",
      body: (base) =>
        soapLoginAnswer({ sessionId: fakeToken, serverUrl: `${base}/services/Soap/u/64.0/00D` }).replace(
          "<passwordExpired>",
          `<padding>${"x".repeat(70_000)}</padding><passwordExpired>`
        ),
      detail: /SOAP login response: the body is larger than 64 KB/
    },
    {
      name: "sessionSecondsValid in hex (0x10)",
      body: (base) => soapLoginAnswer({ sessionId: fakeToken, serverUrl: `${base}/services/Soap/u/64.0/00D`, sessionSecondsValid: "0x10" }),
      detail: /userInfo\/sessionSecondsValid is empty or not valid/
    },
    {
      name: "sessionSecondsValid beyond any date (8640000000001)",
      body: (base) =>
        soapLoginAnswer({ sessionId: fakeToken, serverUrl: `${base}/services/Soap/u/64.0/00D`, sessionSecondsValid: "8640000000001" }),
      detail: /userInfo\/sessionSecondsValid is empty or not valid/
    },
    {
      name: "sessionSecondsValid in exponent form (1e3), negative, fractional, zero",
      body: (base) =>
        soapLoginAnswer({ sessionId: fakeToken, serverUrl: `${base}/services/Soap/u/64.0/00D`, sessionSecondsValid: "1e3" }),
      detail: /userInfo\/sessionSecondsValid is empty or not valid/
    },
    {
      name: "an envelope prefix bound to another namespace",
      body: (base) =>
        soapLoginAnswer({ sessionId: fakeToken, serverUrl: `${base}/services/Soap/u/64.0/00D` }).replace(
          'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"',
          'xmlns:soapenv="urn:not-soap"'
        ),
      detail: /SOAP login response: the XML is not a SOAP envelope/
    }
  ]

  for (const c of soapCases) {
    it.scopedLive(`${c.name}: MalformedResponseError, not retried, then the provider recovers`, () =>
      Effect.gen(function*() {
        tried += 1
        const { baseUrl, control, provider, requestsTo } = yield* connect("SoapLogin")
        yield* control.injectFault({ path: tokenPath("SoapLogin"), kind: { _tag: "Status", status: 200, body: c.body(baseUrl), headers: xml } })
        const error = seen(yield* Effect.flip(provider.get))
        assert.strictEqual(error._tag, "MalformedResponseError")
        assert.match(error.message, c.detail)
        assert.notInclude(error.message, fakeToken)
        assert.strictEqual(yield* requestsTo(tokenPath("SoapLogin")), 1)
        const token = yield* provider.get
        assert.strictEqual(token.instanceUrl, baseUrl)
      }).pipe(observed))
  }

  it.scopedLive("other bad sessionSecondsValid values are refused; plain digits within range are read", () =>
    Effect.gen(function*() {
      const { baseUrl, control, provider } = yield* connect("SoapLogin")
      for (const value of ["-5", "7200.5", "0", "+7200", "", "99999999999"]) {
        tried += 1
        yield* provider.invalidate
        const body = soapLoginAnswer({ sessionId: fakeToken, serverUrl: `${baseUrl}/services/Soap/u/64.0/00D`, sessionSecondsValid: value })
        yield* control.injectFault({ path: tokenPath("SoapLogin"), kind: { _tag: "Status", status: 200, body, headers: xml } })
        const error = seen(yield* Effect.flip(provider.get))
        assert.match(error.message, /userInfo\/sessionSecondsValid is empty or not valid/, value)
      }
      yield* provider.invalidate
      const body = soapLoginAnswer({ sessionId: fakeToken, serverUrl: `${baseUrl}/services/Soap/u/64.0/00D`, sessionSecondsValid: "7200" })
      yield* control.injectFault({ path: tokenPath("SoapLogin"), kind: { _tag: "Status", status: 200, body, headers: xml } })
      const token = yield* provider.get
      assert.strictEqual(token.expiresAt._tag, "Some")
      const lifetime = token.expiresAt._tag === "Some" ? token.expiresAt.value.epochMillis - token.issuedAt.epochMillis : 0
      assert.strictEqual(lifetime, 7_200_000)
    }).pipe(observed))

  it.scopedLive("a fault with a 50 KB message: the error keeps 2,000 characters of it", () =>
    Effect.gen(function*() {
      tried += 1
      const { control, provider } = yield* connect("SoapLogin")
      const body =
        `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
        `<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: ${"blah ".repeat(10_000)}</faultstring>` +
        `</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
      yield* control.injectFault({ path: tokenPath("SoapLogin"), kind: { _tag: "Status", status: 500, body, headers: xml } })
      const error = seen(yield* Effect.flip(provider.get))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.isBelow(error.message.length, 2_100)
    }).pipe(observed))
})

describe("hostile bodies: REST errors", () => {
  it.scopedLive("an HTML error page of 256 KB of `<title`: a short summary", () =>
    Effect.gen(function*() {
      tried += 1
      const { control, sf } = yield* connect("ClientCredentials")
      yield* control.injectFault({
        path: `${v}/limits`,
        kind: { _tag: "Status", status: 400, body: `<html>${"<title".repeat(43_000)}`, headers: { "content-type": "text/html" } }
      })
      const error = seen(yield* Effect.flip(sf.limits))
      assert.strictEqual(error._tag, "SalesforceApiError")
      assert.strictEqual(error._tag === "SalesforceApiError" ? error.errorCode : "", "HTTP_400")
      assert.isBelow(error.message.length, 400)
    }).pipe(observed))

  it.scopedLive("a 401 INVALID_SESSION_ID with a 256 KB message: classified as refreshable, one refresh, bounded message", () =>
    Effect.gen(function*() {
      tried += 1
      const { control, grants, requestsTo, sf } = yield* connect("ClientCredentials")
      yield* sf.limits
      const body = [{ errorCode: "INVALID_SESSION_ID", message: "password IP ".repeat(22_000) }]
      yield* control.injectFault({ path: `${v}/limits`, count: 2, kind: { _tag: "Status", status: 401, body } })
      const error = seen(yield* Effect.flip(sf.limits))
      assert.strictEqual(error._tag, "SessionRejectedError")
      assert.isBelow(error.message.length, 2_400)
      assert.strictEqual(yield* grants, 2, "one refresh")
      assert.strictEqual(yield* requestsTo(`${v}/limits`), 3)
    }).pipe(observed))

  it.scopedLive("DUPLICATES_DETECTED with a 100-deep duplicateResult: kept to depth 16; the error prints and serialises", () =>
    Effect.gen(function*() {
      tried += 1
      const { control, sf } = yield* connect("ClientCredentials")
      const deep = `${'{"a":['.repeat(100)}1${"]}".repeat(100)}`
      const body = `[{"errorCode":"DUPLICATES_DETECTED","message":"Use one of these records?","duplicateResult":{"duplicateRule":"Std","matchResults":[{"entityType":"Account","matchRecords":[{"record":{"attributes":{"type":"Account"},"Id":"001000000000001AAA","deep":${deep}}}]}],"deep":${deep}}}]`
      yield* control.injectFault({ path: `${v}/sobjects/Account`, kind: { _tag: "Status", status: 400, body, headers: json } })
      const error = seen(yield* Effect.flip(sf.sobject("Account").create({ Name: "Acme" })))
      assert.strictEqual(error._tag, "DuplicatesDetectedError")
      if (error._tag !== "DuplicatesDetectedError") return
      assert.strictEqual(error.duplicates[0]?.id, "001000000000001AAA")
      assert.isAtMost(depthOf(error.duplicateResult), 17)
      assert.isAtMost(depthOf(error.duplicates[0]?.record), 17)
      assert.doesNotThrow(() => JSON.stringify(error))
      assert.doesNotThrow(() => util.inspect(error, { depth: Infinity }))
      assert.doesNotThrow(() => String(error))
    }).pipe(observed))

  it.scopedLive("DUPLICATES_DETECTED 20,000 levels deep: refused as JSON, the error prints and serialises", () =>
    Effect.gen(function*() {
      tried += 1
      const { control, sf } = yield* connect("ClientCredentials")
      const body = `[{"errorCode":"DUPLICATES_DETECTED","message":"dup","duplicateResult":${'{"a":['.repeat(20_000)}1${
        "]}".repeat(20_000)
      }}]`
      yield* control.injectFault({ path: `${v}/sobjects/Account`, kind: { _tag: "Status", status: 400, body, headers: json } })
      const error = seen(yield* Effect.flip(sf.sobject("Account").create({ Name: "Acme" })))
      assert.strictEqual(error._tag, "SalesforceApiError")
      assert.doesNotThrow(() => JSON.stringify(error))
      assert.isBelow(JSON.stringify(error).length, 2_000)
    }).pipe(observed))

  it.scopedLive("an error array of 10,000 entries and a 300 with 10,000 URLs: 100 kept", () =>
    Effect.gen(function*() {
      tried += 2
      const { control, sf } = yield* connect("ClientCredentials")
      const entries = Array.from({ length: 10_000 }, (_, i) => ({ errorCode: "FIELD_INTEGRITY_EXCEPTION", message: `bad ${i}`, fields: ["Name"] }))
      yield* control.injectFault({ path: `${v}/sobjects/Account`, kind: { _tag: "Status", status: 400, body: entries } })
      const error = seen(yield* Effect.flip(sf.sobject("Account").create({ Name: "Acme" })))
      assert.strictEqual(error._tag === "SalesforceApiError" ? error.errors.length : -1, 100)
      const urls = Array.from({ length: 10_000 }, (_, i) => `/services/data/v64.0/sobjects/Account/001${String(i).padStart(15, "0")}`)
      yield* control.injectFault({ path: `${v}/sobjects/Account/Ext__c/x`, kind: { _tag: "Status", status: 300, body: urls } })
      const multiple = seen(yield* Effect.flip(sf.sobject("Account").getByExternalId("Ext__c", "x")))
      assert.strictEqual(multiple._tag === "MoreThanOneRecordError" ? multiple.urls.length : -1, 100)
    }).pipe(observed))
})

describe("hostile bodies: no server-chosen prototypes", () => {
  const polluted = (value: unknown) =>
    typeof value === "object" && value !== null &&
    (Object.getPrototypeOf(value) !== Object.prototype || "polluted" in value || "isAdmin" in value)

  it.scopedLive("limits: a `__proto__` key (plain and \\u-escaped) does not become the prototype", () =>
    Effect.gen(function*() {
      tried += 2
      const { control, sf } = yield* connect("ClientCredentials")
      for (const key of ["__proto__", "\\u005f_proto__"]) {
        const body = `{"${key}":{"polluted":{"Max":1,"Remaining":1}},"DailyApiRequests":{"Max":15000,"Remaining":14000,"${key}":{"isAdmin":true}}}`
        yield* control.injectFault({ path: `${v}/limits`, kind: { _tag: "Status", status: 200, body, headers: json } })
        const limits = yield* sf.limits
        assert.isFalse(polluted(limits), key)
        assert.isFalse(polluted(limits["DailyApiRequests"]), key)
        assert.strictEqual(limits["DailyApiRequests"]?.Remaining, 14000)
      }
    }).pipe(observed))

  it.scopedLive("query records decoded with Schema.Record, and execute's response.json: no `__proto__`", () =>
    Effect.gen(function*() {
      tried += 2
      const { control, sf } = yield* connect("ClientCredentials")
      const page = `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Account"},"Id":"001000000000001AAA","__proto__":{"isAdmin":true}}]}`
      yield* control.injectFault({ path: `${v}/query`, kind: { _tag: "Status", status: 200, body: page, headers: json } })
      const records = yield* Stream.runCollect(
        sf.query("SELECT Id FROM Account", { schema: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
      )
      const [record] = Array.from(records)
      assert.isFalse(polluted(record))
      assert.strictEqual(record?.["Id"], "001000000000001AAA")
      yield* control.injectFault({ path: `${v}/limits`, kind: { _tag: "Status", status: 200, body: `{"__proto__":{"polluted":1}}`, headers: json } })
      const response = yield* sf.execute(HttpClientRequest.get("limits"))
      const body = yield* response.json
      assert.isFalse(polluted(body))
      assert.isFalse(Object.hasOwn(body as object, "__proto__"))
    }).pipe(observed))

  it.scopedLive("a duplicate match record with `__proto__`: not its prototype", () =>
    Effect.gen(function*() {
      tried += 1
      const { control, sf } = yield* connect("ClientCredentials")
      const body = `[{"errorCode":"DUPLICATES_DETECTED","message":"dup","duplicateResult":{"matchResults":[{"matchRecords":[{"record":{"Id":"001000000000001AAA","__proto__":{"isAdmin":true}}}]}]}}]`
      yield* control.injectFault({ path: `${v}/sobjects/Account`, kind: { _tag: "Status", status: 400, body, headers: json } })
      const error = yield* Effect.flip(sf.sobject("Account").create({ Name: "Acme" }))
      assert.strictEqual(error._tag, "DuplicatesDetectedError")
      if (error._tag === "DuplicatesDetectedError") assert.isFalse(polluted(error.duplicates[0]?.record))
    }).pipe(observed))

  it.scopedLive("a query page nested 200 levels deep (over 32 KB): UnexpectedResponseError naming the depth", () =>
    Effect.gen(function*() {
      tried += 1
      const { control, sf } = yield* connect("ClientCredentials")
      const page = `{"totalSize":1,"done":true,"records":[{"pad":"${"x".repeat(40_000)}","deep":${"[".repeat(200)}${"]".repeat(200)}}]}`
      yield* control.injectFault({ path: `${v}/query`, kind: { _tag: "Status", status: 200, body: page, headers: json } })
      const error = seen(yield* Effect.flip(Stream.runCollect(sf.query("SELECT Id FROM Account"))))
      assert.strictEqual(error._tag, "UnexpectedResponseError")
      assert.match(error.message, /nested deeper than 128 levels/)
    }).pipe(observed))
})

describe("hostile bodies: secrets", () => {
  it.effect("no secret in any log line, event, error or request URL of this file", () =>
    Effect.gen(function*() {
      const summary = yield* witness.assertClean
      figure("hostileParsing", { bodiesTried: tried })
      figure("secrets.hostileParsing", summary)
    }))
})
