/**
 * Hostile login answers: an `instance_url` (OAuth) or `serverUrl` (SOAP) that points the bearer
 * token somewhere else. The login host is `https://acme.my.salesforce.com`, resolved by the
 * transport to a `node:http` server on loopback; the "evil" hosts resolve to another one that
 * counts what reaches it. Everything over real HTTP.
 */
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import * as Salesforce from "@effect-salesforce/client/Salesforce"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { figure, methodLayer, quickRetries, seen, witness } from "./harness.js"
import { hostileServer, routedTransport, soapLoginAnswer } from "./hostileServers.js"

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, witness.loggerLayer)

/** The token every hostile login hands out: it must never reach the evil host, nor be printed. */
const token = "00D8d000004HoStIlE!AQcAQTokenThatMustStayHome9x"
witness.addSecret("hostile-login access token", token)

const login = "https://acme.my.salesforce.com"

type Method = "ClientCredentials" | "SoapLogin"
const methods: ReadonlyArray<Method> = ["ClientCredentials", "SoapLogin"]

/**
 * An org server (token endpoint, SOAP login, `/limits`) whose login answers name `instance`,
 * an evil server, and a client logging in on `https://acme.my.salesforce.com` by `method`.
 */
const setup = (
  method: Method,
  instance: (evil: { readonly url: string; readonly port: number }) => string,
  config: Partial<SalesforceConfig.SalesforceConfig.Options> = {}
) =>
  Effect.gen(function*() {
    const evil = yield* hostileServer(() => ({ status: 200, body: JSON.stringify({ DailyApiRequests: { Max: 1, Remaining: 1 } }) }))
    let instanceUrl = ""
    const org = yield* hostileServer((request) => {
      if (request.url === "/services/oauth2/token") {
        return {
          status: 200,
          body: JSON.stringify({ access_token: token, instance_url: instanceUrl, token_type: "Bearer", issued_at: "1700000000000" })
        }
      }
      if (request.url.startsWith("/services/Soap/u/")) {
        return {
          status: 200,
          body: soapLoginAnswer({ sessionId: token, serverUrl: `${instanceUrl}/services/Soap/u/64.0/00D000000000001` }),
          headers: { "content-type": "text/xml;charset=UTF-8" }
        }
      }
      if (request.url === "/services/data/v64.0/limits") {
        return { status: 200, body: JSON.stringify({ DailyApiRequests: { Max: 15000, Remaining: 14999 } }) }
      }
      return { status: 404, body: JSON.stringify([{ errorCode: "NOT_FOUND", message: "no such resource" }]) }
    })
    instanceUrl = instance(evil)
    const transport = routedTransport({
      "acme.my.salesforce.com": org.url,
      "acme--dev.sandbox.my.salesforce.com": org.url,
      "sf.acme-corp.com": org.url,
      "evil.example": evil.url,
      "acme.my.salesforce.com.evil.example": evil.url
    })
    const context = yield* Layer.build(
      methodLayer(method).pipe(
        Layer.provideMerge(Layer.mergeAll(
          Layer.orDie(SalesforceConfig.layer({ baseUrl: login, apiVersion: "64.0", ...config })),
          witness.bus(),
          transport
        )),
        Layer.provideMerge(RetryPolicy.layer(quickRetries)),
        Layer.orDie
      )
    )
    const sf = yield* Effect.orDie(Salesforce.make({ retryPolicy: quickRetries }).pipe(Effect.provide(context)))
    const logins = () => org.seen.filter((r) => r.url === "/services/oauth2/token" || r.url.startsWith("/services/Soap/")).length
    const rest = () => org.seen.filter((r) => r.url.startsWith("/services/data/"))
    return { sf, evil, org, logins, rest }
  })

let refused = 0

describe("hostile login answers: where the token may go", () => {
  const hostile: ReadonlyArray<{ readonly name: string; readonly url: (evil: { readonly port: number }) => string; readonly detail: RegExp }> = [
    { name: "another host", url: () => "https://evil.example", detail: /evil\.example is not a Salesforce host/ },
    {
      name: "a Salesforce host name as a prefix of another domain",
      url: () => "https://acme.my.salesforce.com.evil.example",
      detail: /acme\.my\.salesforce\.com\.evil\.example is not a Salesforce host/
    },
    {
      name: "a percent-encoded dot in the host",
      url: () => "https://acme.my.salesforce.com%2eevil.example",
      detail: /acme\.my\.salesforce\.com\.evil\.example is not a Salesforce host/
    },
    {
      name: "a backslash before an @ (parsed as a path on evil.example)",
      url: () => "https://evil.example\\@acme.my.salesforce.com",
      detail: /evil\.example is not a Salesforce host/
    },
    {
      name: "the login host as user info",
      url: () => "https://acme.my.salesforce.com@evil.example",
      // SoapLogin keeps only serverUrl's origin, so it sees evil.example itself
      detail: /must not carry credentials|evil\.example is not a Salesforce host/
    },
    {
      name: "plain http on localhost after an https login",
      url: (evil) => `http://localhost:${evil.port}`,
      detail: /is on loopback, accepted only after a login on loopback \(the login host is acme\.my\.salesforce\.com\)/
    },
    {
      name: "plain http on 127.0.0.1 after an https login",
      url: (evil) => `http://127.0.0.1:${evil.port}`,
      detail: /is on loopback, accepted only after a login on loopback/
    },
    {
      name: "plain http on the Salesforce host itself",
      url: () => "http://acme.my.salesforce.com",
      detail: /plain http is only allowed on loopback; acme\.my\.salesforce\.com needs https/
    },
    { name: "a custom domain nobody trusted", url: () => "https://sf.acme-corp.com", detail: /trustedInstanceHosts/ }
  ]

  for (const method of methods) {
    for (const c of hostile) {
      it.scopedLive(`${method}: ${c.name} is refused, and no request reaches it`, () =>
        Effect.gen(function*() {
          refused += 1
          const { evil, logins, rest, sf } = yield* setup(method, c.url)
          const error = seen(yield* Effect.flip(sf.limits))
          assert.strictEqual(error._tag, "MalformedResponseError")
          assert.match(error.message, /instance URL: /)
          assert.match(error.message, c.detail)
          assert.notInclude(error.message, token)
          assert.strictEqual(evil.seen.length, 0, "nothing reached the evil host")
          assert.strictEqual(rest().length, 0, "no REST request was sent anywhere")
          assert.strictEqual(logins(), 1, "a malformed login answer is not retried")
        }).pipe(observed))
    }
  }

  for (const method of methods) {
    it.scopedLive(`${method}: the login host's own origin and another Salesforce host are accepted`, () =>
      Effect.gen(function*() {
        for (const instance of [login, "https://acme--dev.sandbox.my.salesforce.com"]) {
          const { evil, rest, sf } = yield* setup(method, () => instance)
          const limits = yield* sf.limits
          assert.strictEqual(limits["DailyApiRequests"]?.Max, 15000)
          const [sent] = rest()
          assert.strictEqual(sent?.host.startsWith("127.0.0.1"), true)
          assert.strictEqual(sent?.authorization, `Bearer ${token}`)
          assert.strictEqual(evil.seen.length, 0)
        }
      }).pipe(observed))

    it.scopedLive(`${method}: a custom domain named in trustedInstanceHosts is accepted`, () =>
      Effect.gen(function*() {
        for (const trusted of ["sf.acme-corp.com", "*.acme-corp.com", "SF.Acme-Corp.com"]) {
          const { rest, sf } = yield* setup(method, () => "https://sf.acme-corp.com", { trustedInstanceHosts: [trusted] })
          yield* sf.limits
          assert.strictEqual(rest().length, 1, trusted)
        }
        // `*.acme-corp.com` is any subdomain, not the domain itself nor a look-alike
        const { sf } = yield* setup(method, () => "https://acme-corp.com.evil.example", { trustedInstanceHosts: ["*.acme-corp.com"] })
        assert.match((yield* Effect.flip(sf.limits)).message, /is not a Salesforce host/)
      }).pipe(observed))
  }

  it.effect("trustedInstanceHosts entries are host names: a URL, a path or a port is an InvalidConfigError", () =>
    Effect.gen(function*() {
      for (const entry of ["https://sf.acme.com", "sf.acme.com/path", "sf.acme.com:443", "", "*", "*.com.", "localhost"]) {
        const error = yield* Effect.flip(SalesforceConfig.make({ baseUrl: login, trustedInstanceHosts: [entry] }))
        assert.strictEqual(error._tag, "InvalidConfigError", entry)
        assert.strictEqual(error.field, "trustedInstanceHosts")
      }
      const config = yield* SalesforceConfig.make({ baseUrl: login, trustedInstanceHosts: [" SF.Acme.com ", "*.acme.com"] })
      assert.deepStrictEqual(config.trustedInstanceHosts, ["sf.acme.com", "*.acme.com"])
    }))
})

describe("hostile login answers: secrets", () => {
  it.effect("no secret in any log line, event, error or request URL of this file", () =>
    Effect.gen(function*() {
      const summary = yield* witness.assertClean
      figure("hostileInstance", { refused })
      figure("secrets.hostileInstance", summary)
    }))
})
