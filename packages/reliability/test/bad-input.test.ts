/**
 * Bad input: every case must give a typed error that names the problem, carries no secret,
 * and leave the provider (or client) usable afterwards.
 */
import * as AuthError from "@effect-salesforce/auth/AuthError"
import * as JwtBearer from "@effect-salesforce/auth/JwtBearer"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import * as SoapLogin from "@effect-salesforce/auth/SoapLogin"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import type * as SalesforceError from "@effect-salesforce/client/SalesforceError"
import { Emulator } from "@effect-salesforce/emulator"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as crypto from "node:crypto"
import {
  allMethods,
  connect,
  defaults,
  emulator,
  figure,
  type Method,
  methodLayer,
  seen,
  v,
  witness
} from "./harness.js"

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, witness.loggerLayer)

let tried = 0
const count = (n = 1) => {
  tried += n
}

/** A token the fake answers below carry: it must never be echoed. */
const fakeToken = "00D8d000004EmUl!AQcAQFakeTokenInsideABadAnswer7Kq"
witness.addSecret("fake access token", fakeToken)

describe("bad input: token endpoint (ClientCredentials over real HTTP)", () => {
  const cases: ReadonlyArray<{
    readonly name: string
    readonly status: number
    readonly body: (baseUrl: string) => string
    readonly contentType: string
    readonly tag: "MalformedResponseError" | "AuthenticationError"
    readonly detail: RegExp
  }> = [
    {
      name: "an HTML page (200)",
      status: 200,
      body: () => "<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body><h1>Back soon</h1></body></html>",
      contentType: "text/html;charset=UTF-8",
      tag: "MalformedResponseError",
      detail: /token response: an HTML page instead of JSON/
    },
    {
      name: "an HTML page (400, from a proxy)",
      status: 400,
      body: () => "<html><body>Bad Request</body></html>",
      contentType: "text/html",
      tag: "MalformedResponseError",
      detail: /expected Salesforce's error JSON .*an HTML page instead of JSON/
    },
    {
      name: "an empty body",
      status: 200,
      body: () => "",
      contentType: "application/json;charset=UTF-8",
      tag: "MalformedResponseError",
      detail: /token response: the body is empty/
    },
    {
      name: "truncated JSON",
      status: 200,
      body: (base) => `{"access_token":"${fakeToken}","instance_url":"${base}","tok`,
      contentType: "application/json;charset=UTF-8",
      tag: "MalformedResponseError",
      detail: /token response: the JSON body is truncated or invalid/
    },
    {
      name: "JSON without access_token",
      status: 200,
      body: (base) => JSON.stringify({ instance_url: base, token_type: "Bearer", issued_at: "1700000000000" }),
      contentType: "application/json;charset=UTF-8",
      tag: "MalformedResponseError",
      detail: /token response: access_token is missing/
    },
    {
      name: "JSON with an empty access_token and no instance_url",
      status: 200,
      body: () => JSON.stringify({ access_token: "", token_type: "Bearer" }),
      contentType: "application/json;charset=UTF-8",
      tag: "MalformedResponseError",
      detail: /access_token has the wrong type or is empty.*instance_url is missing/
    },
    {
      name: "a wrong content type (XML)",
      status: 200,
      body: () => `<?xml version="1.0"?><token><access_token>${fakeToken}</access_token></token>`,
      contentType: "application/xml",
      tag: "MalformedResponseError",
      detail: /token response: XML or markup instead of JSON/
    },
    {
      name: "a JSON array",
      status: 200,
      body: () => JSON.stringify([{ access_token: fakeToken }]),
      contentType: "application/json",
      tag: "MalformedResponseError",
      detail: /token response: expected a JSON object/
    },
    {
      name: "an instance_url on plain http to a non-loopback host",
      status: 200,
      body: () => JSON.stringify({ access_token: fakeToken, instance_url: "http://evil.example.com", token_type: "Bearer" }),
      contentType: "application/json",
      tag: "MalformedResponseError",
      detail: /instance URL: plain http is only allowed on loopback; evil\.example\.com needs https/
    },
    {
      name: "an error JSON without error_description",
      status: 400,
      body: () => JSON.stringify({ error: "invalid_client" }),
      contentType: "application/json",
      tag: "AuthenticationError",
      detail: /\[invalid_client\]/
    }
  ]

  for (const c of cases) {
    it.scopedLive(`${c.name}: ${c.tag}, then the provider recovers`, () =>
      Effect.gen(function*() {
        count()
        const { baseUrl, control, grants, provider, requestsTo } = yield* connect("ClientCredentials", { common: { failureCooldown: "5 minutes" } })
        yield* control.injectFault({
          path: "/services/oauth2/token",
          kind: { _tag: "Status", status: c.status, body: c.body(baseUrl), headers: { "content-type": c.contentType } }
        })
        const error = seen(yield* Effect.flip(provider.get))
        assert.strictEqual(error._tag, c.tag)
        assert.match(error.message, c.detail)
        assert.notInclude(error.message, fakeToken)
        assert.strictEqual(yield* requestsTo("/services/oauth2/token"), 1, "a malformed answer is not retried")
        if (c.tag === "AuthenticationError") {
          // a definite "no" is remembered (no I/O) until invalidate
          assert.strictEqual((yield* Effect.flip(provider.get))._tag, "AuthenticationError")
          assert.strictEqual(yield* requestsTo("/services/oauth2/token"), 1)
          yield* provider.invalidate
        }
        const token = yield* provider.get
        assert.strictEqual(token.instanceUrl, baseUrl)
        assert.strictEqual(yield* grants, 1)
      }).pipe(observed))
  }

  it.scopedLive("a valid token JSON under a text/plain content type is accepted (the body decides)", () =>
    Effect.gen(function*() {
      count()
      const { baseUrl, control, provider } = yield* connect("ClientCredentials")
      yield* control.injectFault({
        path: "/services/oauth2/token",
        kind: {
          _tag: "Status",
          status: 200,
          body: JSON.stringify({ access_token: fakeToken, instance_url: baseUrl, token_type: "Bearer" }),
          headers: { "content-type": "text/plain" }
        }
      })
      const token = yield* provider.get
      assert.strictEqual(Redacted.value(token.value), fakeToken)
    }).pipe(observed))
})

const soapEnvelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`

describe("bad input: SOAP login (SoapLogin over real HTTP)", () => {
  const cases: ReadonlyArray<{
    readonly name: string
    readonly status: number
    readonly body: (baseUrl: string) => string
    readonly tag: "MalformedResponseError" | "AuthenticationError"
    readonly detail: RegExp
    readonly code?: string
  }> = [
    {
      name: "malformed XML (truncated)",
      status: 200,
      body: () => soapEnvelope(`<loginResponse><result><sessionId>${fakeToken}</sessionId><serverUrl>`).slice(0, -40),
      tag: "MalformedResponseError",
      detail: /SOAP login response: the body is not well-formed XML \(near line \d+, column \d+\)/
    },
    {
      name: "malformed XML (mismatched tags)",
      status: 200,
      body: () => soapEnvelope(`<loginResponse><result><sessionId>${fakeToken}</result></loginResponse>`),
      tag: "MalformedResponseError",
      detail: /not well-formed XML/
    },
    {
      name: "a fault without detail",
      status: 500,
      body: () =>
        soapEnvelope(
          "<soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring></soapenv:Fault>"
        ),
      tag: "AuthenticationError",
      code: "INVALID_LOGIN",
      detail: /SoapLogin: \[INVALID_LOGIN\] Invalid username, password, security token; or user locked out\./
    },
    {
      name: "a fault with neither faultcode nor detail",
      status: 500,
      body: () => soapEnvelope("<soapenv:Fault><faultstring>Something went wrong</faultstring></soapenv:Fault>"),
      tag: "AuthenticationError",
      code: "UNKNOWN_FAULT",
      detail: /\[UNKNOWN_FAULT\] Something went wrong/
    },
    {
      name: "a success without sessionId",
      status: 200,
      body: (base) =>
        soapEnvelope(
          `<loginResponse><result><metadataServerUrl>${base}/services/Soap/m/64.0</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>${base}/services/Soap/u/64.0/00D8d000004EmUl</serverUrl><userId>005000000000001AAA</userId><userInfo><sessionSecondsValid>7200</sessionSecondsValid></userInfo></result></loginResponse>`
        ),
      tag: "MalformedResponseError",
      detail: /SOAP login response: sessionId is missing/
    },
    {
      name: "a success whose serverUrl is not a URL",
      status: 200,
      body: () =>
        soapEnvelope(`<loginResponse><result><serverUrl>not a url</serverUrl><sessionId>${fakeToken}</sessionId></result></loginResponse>`),
      tag: "MalformedResponseError",
      detail: /serverUrl is not a URL/
    },
    {
      name: "an HTML page instead of SOAP",
      status: 200,
      body: () => "<!DOCTYPE html><html><body>Maintenance</body></html>",
      tag: "MalformedResponseError",
      detail: /an HTML page instead of a SOAP envelope/
    },
    {
      name: "XML that is not a SOAP envelope",
      status: 200,
      body: () => `<?xml version="1.0"?><result><sessionId>${fakeToken}</sessionId></result>`,
      tag: "MalformedResponseError",
      detail: /the XML is not a SOAP envelope/
    },
    {
      name: "an empty body",
      status: 200,
      body: () => "",
      tag: "MalformedResponseError",
      detail: /SOAP login response: the body is empty/
    }
  ]

  for (const c of cases) {
    it.scopedLive(`${c.name}: ${c.tag}, then the provider recovers`, () =>
      Effect.gen(function*() {
        count()
        const { baseUrl, control, grants, provider, requestsTo } = yield* connect("SoapLogin")
        yield* control.injectFault({
          path: "/services/Soap/u/64.0",
          kind: { _tag: "Status", status: c.status, body: c.body(baseUrl), headers: { "content-type": "text/xml;charset=UTF-8" } }
        })
        const error = seen(yield* Effect.flip(provider.get))
        assert.strictEqual(error._tag, c.tag)
        assert.match(error.message, c.detail)
        if (c.code !== undefined) assert.strictEqual((error as AuthError.AuthenticationError).code, c.code)
        assert.notInclude(error.message, fakeToken)
        assert.strictEqual(yield* requestsTo("/services/Soap/u/64.0"), 1, "not retried")
        if (c.tag === "AuthenticationError") yield* provider.invalidate
        const token = yield* provider.get
        assert.strictEqual(token.instanceUrl, baseUrl)
        assert.strictEqual(yield* grants, 1)
      }).pipe(observed))
  }
})

/** An `HttpClient` that records every request and answers 500: nothing should ever reach it. */
const tripwire = () => {
  const sent: Array<string> = []
  const client = HttpClient.make((request) =>
    Effect.sync(() => {
      sent.push(request.url)
      return HttpClientResponse.fromWeb(request, new Response("tripwire", { status: 500 }))
    })
  )
  return { layer: Layer.succeed(HttpClient.HttpClient, client), sent }
}

const buildWith = (
  method: Method,
  config: SalesforceConfig.SalesforceConfig.Options,
  transport: Layer.Layer<HttpClient.HttpClient>
) =>
  Effect.scoped(Layer.build(
    methodLayer(method).pipe(Layer.provide(Layer.mergeAll(SalesforceConfig.layer(config), witness.bus(), transport)))
  ))

describe("bad input: configuration (refused before any request)", () => {
  const badBaseUrls: ReadonlyArray<readonly [string, RegExp]> = [
    ["not a url", /is not a URL; expected https:\/\/<MyDomain>\.my\.salesforce\.com/],
    ["acme.my.salesforce.com", /is not a URL/],
    ["https://acme.lightning.force.com", /Lightning UI host.*use https:\/\/acme\.my\.salesforce\.com/],
    ["https://evil.example.com", /not a Salesforce login or My Domain host/],
    ["https://acme.my.salesforce.com/services/data", /without a path, query or fragment/],
    ["https://acme.my.salesforce.com/?x=1", /without a path, query or fragment/],
    ["ftp://acme.my.salesforce.com", /unsupported protocol ftp:/],
    ["https://integration:Hunter2-In-The-Url@acme.my.salesforce.com", /must not carry credentials/],
    ["http://acme.my.salesforce.com", /plain http is refused for acme\.my\.salesforce\.com.*loopback only/],
    ["http://10.0.0.5:8080", /plain http is refused for 10\.0\.0\.5/]
  ]
  witness.addSecret("password in a URL", "Hunter2-In-The-Url")

  it.effect("invalid base URLs: InvalidConfigError naming the problem, for every method, with no request sent", () =>
    Effect.gen(function*() {
      const wire = tripwire()
      for (const [baseUrl, detail] of badBaseUrls) {
        count()
        const direct = seen(yield* Effect.flip(SalesforceConfig.make({ baseUrl })))
        assert.strictEqual(direct._tag, "InvalidConfigError")
        assert.strictEqual(direct.field, "baseUrl")
        assert.match(direct.message, detail)
        for (const method of allMethods) {
          const error = seen(yield* Effect.flip(buildWith(method, { baseUrl }, wire.layer)))
          assert.strictEqual(error._tag, "InvalidConfigError", `${method} with ${baseUrl}`)
        }
      }
      assert.deepStrictEqual(wire.sent, [], "no credential left the process")
    }).pipe(observed))

  // Regression: a base URL that failed to parse was once quoted as typed, credentials included.
  it.effect("an unparseable base URL with embedded credentials is not echoed", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(SalesforceConfig.make({ baseUrl: "https//integration:Hunter2-Typo-Secret@acme.my.salesforce.com" }))
      assert.strictEqual(error._tag, "InvalidConfigError")
      assert.notInclude(error.message, "Hunter2-Typo-Secret") // (not recorded by the witness on purpose)
    }))

  it.effect("malformed API versions: InvalidConfigError naming the problem", () =>
    Effect.gen(function*() {
      const versions: ReadonlyArray<readonly [string | number, RegExp]> = [
        ["v6x", /"v6x" is not an API version; use a form like 64\.0, v64\.0 or 64/],
        ["64.5", /is not an API version/],
        ["sixty-four", /is not an API version/],
        ["", /is not an API version/],
        [25, /API version 25\.0 is retired; use 31\.0 or later/],
        ["1000.0", /is not an API version/]
      ]
      for (const [apiVersion, detail] of versions) {
        count()
        const error = seen(yield* Effect.flip(SalesforceConfig.make({ baseUrl: "https://acme.my.salesforce.com", apiVersion })))
        assert.strictEqual(error.field, "apiVersion")
        assert.match(error.message, detail)
      }
      for (const [apiVersion, expected] of [[62, "62.0"], ["v62.0", "62.0"], ["62", "62.0"]] as const) {
        assert.strictEqual((yield* SalesforceConfig.make({ baseUrl: "https://acme.my.salesforce.com", apiVersion })).apiVersion, expected)
      }
      count()
      const soap = seen(
        yield* Effect.flip(Effect.scoped(Layer.build(
          SoapLogin.layer({ username: "u@x.com", password: Redacted.make(defaults.password), soapApiVersion: 65 }).pipe(
            Layer.provide(Layer.mergeAll(SalesforceConfig.layer({ baseUrl: "https://acme.my.salesforce.com" }), witness.bus(), tripwire().layer))
          )
        )))
      )
      assert.strictEqual(soap._tag, "InvalidConfigError")
      assert.match(soap.message, /soapApiVersion.*not available in API 65\.0/)
    }).pipe(observed))

  it.effect("ClientCredentials on a generic login host is refused before any request", () =>
    Effect.gen(function*() {
      count()
      const wire = tripwire()
      const error = seen(yield* Effect.flip(buildWith("ClientCredentials", { baseUrl: "https://login.salesforce.com" }, wire.layer)))
      assert.strictEqual(error._tag, "InvalidConfigError")
      assert.match(error.message, /must be sent to the org's My Domain/)
      assert.deepStrictEqual(wire.sent, [])
    }).pipe(observed))
})

describe("bad input: private keys (JwtBearer, refused when the layer is built)", () => {
  const passphrase = "Correct-Horse-Battery-Staple-9"
  const wrongPassphrase = "Wrong-Passphrase-Tr0ub4dor"
  witness.addSecret("passphrase", passphrase)
  witness.addSecret("wrong passphrase", wrongPassphrase)
  const encrypted = crypto.createPrivateKey(defaults.privateKey).export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase
  }).toString()
  witness.addPem("encrypted private key", encrypted)
  const publicKey = crypto.createPublicKey(defaults.privateKey).export({ type: "spki", format: "pem" }).toString()
  const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString()
  witness.addPem("EC private key", ec)
  const certificate = Emulator.defaultOptions.connectedApps[0]!.certificate!
  const lines = defaults.privateKey.trim().split("\n")
  const truncated = [...lines.slice(0, 10), lines[lines.length - 1]].join("\n")

  // the options are deliberately wrong, so they are given untyped
  const jwtLayer = (options: Readonly<Record<string, unknown>>) =>
    JwtBearer.layer({ clientId: defaults.clientId, username: defaults.username, ...options } as unknown as JwtBearer.Options & {
      readonly privateKeyFile: string
    })

  const keyCases: ReadonlyArray<readonly [string, Readonly<Record<string, unknown>>, string, RegExp]> = [
    ["text that is not PEM", { privateKey: Redacted.make("hello, I am not a key") }, "privateKey", /not a PEM private key/],
    ["a certificate", { privateKey: Redacted.make(certificate) }, "privateKey", /this is a certificate; the JWT bearer flow signs with the private key/],
    ["a public key", { privateKey: Redacted.make(publicKey) }, "privateKey", /this is a public key/],
    ["an EC key", { privateKey: Redacted.make(ec) }, "privateKey", /RS256 needs an RSA key, this is an ec key/],
    ["a truncated PEM", { privateKey: Redacted.make(truncated) }, "privateKey", /could not be parsed \(damaged or truncated PEM\)/],
    ["an encrypted key with a wrong passphrase", { privateKey: Redacted.make(encrypted), passphrase: Redacted.make(wrongPassphrase) }, "privateKey", /wrong passphrase/],
    ["an encrypted key without its passphrase", { privateKey: Redacted.make(encrypted) }, "privateKey", /the private key is encrypted; supply its passphrase/],
    ["both privateKey and privateKeyFile", { privateKey: Redacted.make(defaults.privateKey), privateKeyFile: "/tmp/x.pem" }, "privateKey", /either privateKey or privateKeyFile, not both/],
    ["an empty key", { privateKey: Redacted.make("") }, "privateKey", /must not be empty/],
    ["a missing key file", { privateKeyFile: "/nonexistent/reliability/server.key" }, "privateKeyFile", /cannot read "\/nonexistent\/reliability\/server\.key": no such file/]
  ]

  for (const [name, options, field, detail] of keyCases) {
    it.effect(`${name}: InvalidConfigError on ${field}, no request sent`, () =>
      Effect.gen(function*() {
        count()
        const wire = tripwire()
        const error = seen(
          yield* Effect.flip(Effect.scoped(Layer.build(
            jwtLayer(options).pipe(
              Layer.provide(Layer.mergeAll(
                SalesforceConfig.layer({ baseUrl: "https://acme.my.salesforce.com" }),
                witness.bus(),
                wire.layer,
                NodeFileSystem.layer
              ))
            )
          )))
        )
        assert.strictEqual(error._tag, "InvalidConfigError")
        assert.strictEqual((error as AuthError.InvalidConfigError).field, field)
        assert.match(error.message, detail)
        assert.deepStrictEqual(wire.sent, [])
      }).pipe(observed))
  }

  it.scopedLive("the right passphrase works against the emulator (the encrypted key is the registered one)", () =>
    Effect.gen(function*() {
      count()
      const emu = yield* emulator()
      const context = yield* Layer.build(
        jwtLayer({ privateKey: Redacted.make(encrypted), passphrase: Redacted.make(passphrase) }).pipe(
          Layer.provideMerge(
            Layer.mergeAll(SalesforceConfig.layer({ baseUrl: emu.baseUrl }), witness.bus(), NodeHttpClient.layerUndici, NodeFileSystem.layer)
          ),
          Layer.orDie
        )
      )
      const token = yield* Effect.flatMap(Effect.provide(TokenProvider.TokenProvider, context), (p) => p.get)
      assert.strictEqual(token.instanceUrl, emu.baseUrl)
      assert.strictEqual((yield* emu.control.counters).grantsPerType["jwt_bearer"], 1)
    }).pipe(observed))
})

describe("bad input: REST answers (Salesforce client over real HTTP)", () => {
  it.scopedLive("an error body that is not JSON: a typed error with the status and a summary; the client stays usable", () =>
    Effect.gen(function*() {
      const { control, requestsTo, sf } = yield* connect("ClientCredentials")
      const path = `${v}/limits`
      count()
      yield* control.injectFault({
        path,
        kind: { _tag: "Status", status: 400, body: "<html><head><title>400 Bad Request</title></head><body>proxy says no</body></html>", headers: { "content-type": "text/html" } }
      })
      const html = seen(yield* Effect.flip(sf.limits)) as SalesforceError.SalesforceApiError
      assert.deepInclude(html, { _tag: "SalesforceApiError", status: 400, errorCode: "HTTP_400" })
      assert.include(html.message, "HTTP 400 (text/html): 400 Bad Request")
      count()
      yield* control.injectFault({ path, kind: { _tag: "Status", status: 404, body: "no such thing", headers: { "content-type": "text/plain" } } })
      const text = seen(yield* Effect.flip(sf.limits)) as SalesforceError.NotFoundError
      assert.deepInclude(text, { _tag: "NotFoundError", status: 404, errorCode: "HTTP_404" })
      assert.include(text.message, "no such thing")
      count()
      yield* control.injectFault({ path, count: 10, kind: { _tag: "Status", status: 502, body: "<html><title>502 Bad Gateway</title></html>", headers: { "content-type": "text/html" } } })
      const gateway = seen(yield* Effect.flip(sf.limits)) as SalesforceError.ServerError
      assert.deepInclude(gateway, { _tag: "ServerError", status: 502, errorCode: "HTTP_502" })
      assert.include(gateway.message, "502 Bad Gateway")
      yield* control.clearFaults
      count()
      yield* control.injectFault({ path, kind: { _tag: "Status", status: 500, body: "", headers: {} } })
      yield* control.injectFault({ path, count: 3, kind: { _tag: "Status", status: 500, body: "", headers: {} } })
      const empty = seen(yield* Effect.flip(sf.limits)) as SalesforceError.ServerError
      assert.include(empty.message, "HTTP 500 with an empty body")
      count()
      yield* control.injectFault({ path, kind: { _tag: "Malformed" } })
      const malformed = seen(yield* Effect.flip(sf.limits))
      assert.strictEqual(malformed._tag, "UnexpectedResponseError")
      assert.match(malformed.message, /the body is not JSON/)
      const before = yield* requestsTo(path)
      const limits = yield* sf.limits
      assert.isObject(limits.DailyApiRequests)
      assert.strictEqual(yield* requestsTo(path), before + 1)
    }).pipe(observed))

  it.scopedLive("a nextRecordsUrl pointing to another host is refused: the token never leaves the instance", () =>
    Effect.gen(function*() {
      const decoy = yield* emulator()
      const { baseUrl, control, sf } = yield* connect("ClientCredentials")
      const port = new URL(baseUrl).port
      const targets = [
        `${decoy.baseUrl}${v}/query/01gD0000000001-2000`,
        `http://localhost:${port}${v}/query/01gD0000000001-2000`,
        `//evil.example.com${v}/query/01gD0000000001-2000`,
        `/\\evil.example.com${v}/query/01gD0000000001-2000`,
        `https://evil.example.com${v}/query/01gD0000000001-2000`,
        `http://integration:pw@127.0.0.1:${port}${v}/query/01gD0000000001-2000`,
        `javascript:alert(1)`
      ]
      for (const next of targets) {
        count()
        yield* control.injectFault({
          path: `${v}/query`,
          kind: {
            _tag: "Status",
            status: 200,
            body: { totalSize: 4, done: false, nextRecordsUrl: next, records: [{ attributes: { type: "Account" }, Id: "001000000000001AAA" }] }
          }
        })
        const error = seen(yield* Effect.flip(Stream.runCollect(sf.query("SELECT Id FROM Account"))))
        assert.strictEqual(error._tag, "InvalidRequestError", next)
        assert.match(error.message, /is not the instance|must not carry credentials|not a valid URL/, next)
      }
      assert.strictEqual((yield* decoy.control.counters).totalRequests, 0, "the decoy host received nothing")
      const log = yield* control.requestLog
      assert.isTrue(log.every((entry) => !entry.path.includes("01gD0000000001")), "no follow-up request was sent anywhere")
      // and the client still works
      const all = yield* Stream.runCollect(sf.query("SELECT Id FROM Account"))
      assert.strictEqual(all.length, 3)
    }).pipe(observed))
})

describe("bad input: secrets", () => {
  it.effect("no secret in any log line, event, error or request URL of this file", () =>
    Effect.gen(function*() {
      const summary = yield* witness.assertClean
      figure("badInput", { inputsTried: tried })
      figure("secrets.badInput", summary)
    }))
})
