/**
 * Echoed secrets (issue 10, item 4): servers that quote what they were sent (proxies and WAFs
 * do) put it in their error answers, in every form: raw, form-encoded, XML-escaped,
 * JSON-escaped, base64, in codes as well as messages. Every method (SOAP login, client
 * credentials, JWT bearer, refresh token), introspection, custom auth with Basic credentials
 * and REST meets such a server over real HTTP; every error, `Cause`, log line and event is
 * scanned by the witness: no secret, and proof that the echo was there (`[redacted]`).
 */
import {
  AuthError,
  AuthHttp,
  ClientCredentials,
  JwtBearer,
  RefreshToken,
  RetryPolicy,
  SalesforceConfig,
  SoapLogin,
  TokenProvider
} from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { NodeHttpClient } from "@effect/platform-node"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { ServerResponse } from "node:http"
import { defaults, figure, seen, witness } from "./harness.js"
import { type Received, serve } from "./servers.js"

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, witness.loggerLayer)

const password = `Echo&<Pass>"word'1`
const securityToken = "EchoSecurityToken42"
const clientSecret = "echo-client-secret-ab12"
const refreshToken = "5Aep861echo.refresh+token/x=="
const accessToken = "00Decho!AQ0AQAccessToken.value"
const staticToken = "00Dstatic!ARestAccessToken.value"
const basicSecret = "basic-client-secret-9z"
witness.addSecret("echo password", password)
witness.addSecret("echo security token", securityToken)
witness.addSecret("echo password+token", password + securityToken)
witness.addSecret("echo client secret", clientSecret)
witness.addSecret("echo refresh token", refreshToken)
witness.addSecret("echo access token", accessToken)
witness.addSecret("echo static token", staticToken)
witness.addSecret("basic client secret", basicSecret)
witness.addSecret("basic credentials", Buffer.from(`basic-id:${basicSecret}`).toString("base64"))

const xml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** Everything the request carried, in every form a careless server quotes it in. */
const echoOf = (request: Received): string => {
  const decoded = (() => {
    try {
      return decodeURIComponent(request.body.replace(/\+/g, " "))
    } catch {
      return request.body
    }
  })()
  const auth = request.headers.authorization ?? ""
  return [
    `raw: ${request.body}`,
    `decoded: ${decoded}`,
    `xml: ${xml(decoded)}`,
    `json: ${JSON.stringify(decoded)}`,
    `base64: ${Buffer.from(decoded).toString("base64")}`,
    `authorization: ${auth}`,
    `credentials: ${auth.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64").toString("utf8") : auth.slice(7)}`
  ].join(" | ")
}

/** The first secret-looking parameter, raw, to echo as an error code. */
const codeOf = (request: Received): string => {
  const params = new URLSearchParams(request.body)
  return params.get("client_secret") ?? params.get("refresh_token") ?? params.get("assertion") ??
    params.get("token") ?? (request.headers.authorization ?? "").slice(7)
}

const oauthEcho = (request: Received, res: ServerResponse) => {
  // the JWT assertion is a secret made per attempt: teach the witness
  const assertion = new URLSearchParams(request.body).get("assertion")
  if (assertion !== null) {
    witness.addSecret("echo JWT assertion", assertion)
    witness.addSecret("echo JWT signature", assertion.split(".")[2])
  }
  res.writeHead(400, { "content-type": "application/json", "x-echo": codeOf(request) }).end(
    JSON.stringify({ error: `invalid_grant:${codeOf(request)}`, error_description: echoOf(request) })
  )
}

const soapEcho = (request: Received, res: ServerResponse) => {
  const password = /<urn:password>([^<]*)<\/urn:password>/.exec(request.body)?.[1] ?? ""
  res.writeHead(500, { "content-type": "text/xml" }).end(
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>` +
      `<faultcode>sf:${password}</faultcode><faultstring>${xml(echoOf(request))} ${password}</faultstring>` +
      `<detail><sf:LoginFault><sf:exceptionCode>${password}</sf:exceptionCode><sf:exceptionMessage>${
        xml(request.body)
      } ${password}</sf:exceptionMessage></sf:LoginFault></detail>` +
      `</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
  )
}

const base = (url: string) =>
  Layer.mergeAll(Layer.orDie(SalesforceConfig.layer({ baseUrl: url, apiVersion: "64.0" })), witness.bus(), NodeHttpClient.layerUndici)

/** Acquire a token through `layer`, expecting a failure; record it every way a user prints it. */
const failToAcquire = (layer: Layer.Layer<TokenProvider.TokenProvider, unknown>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(Effect.flatMap(TokenProvider.TokenProvider, (p) => p.get).pipe(Effect.provide(layer)))
    assert.isTrue(Exit.isFailure(exit))
    seen(exit)
    if (Exit.isFailure(exit)) seen(exit.cause)
    const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
    seen(error)
    return error as AuthError.AuthError
  })

const tally = { cases: 0 }

describe("echoed secrets: auth methods", () => {
  it.scopedLive("SoapLogin: a fault quoting the password and security token (raw and XML-escaped, in the code too)", () =>
    Effect.gen(function*() {
      const { requests, url } = yield* serve(soapEcho)
      const error = yield* failToAcquire(
        SoapLogin.layer({ username: "user@example.com", password: Redacted.make(password), securityToken: Redacted.make(securityToken) })
          .pipe(Layer.provide(base(url)))
      )
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.include(error.message, "[redacted]")
      assert.include(requests[0]!.body, "EchoSecurityToken42", "the request did carry the secret")
      tally.cases++
    }).pipe(observed))

  it.scopedLive("ClientCredentials: an error JSON quoting the client secret", () =>
    Effect.gen(function*() {
      const { url } = yield* serve(oauthEcho)
      const error = yield* failToAcquire(
        ClientCredentials.layer({ clientId: "echo-id", clientSecret: Redacted.make(clientSecret) }).pipe(Layer.provide(base(url)))
      )
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.include(error.message, "[redacted]")
      tally.cases++
    }).pipe(observed))

  it.scopedLive("JwtBearer: an error JSON quoting the signed assertion", () =>
    Effect.gen(function*() {
      const { url } = yield* serve(oauthEcho)
      const error = yield* failToAcquire(
        JwtBearer.layer({ clientId: "echo-id", username: "user@example.com", privateKey: Redacted.make(defaults.privateKey) })
          .pipe(Layer.provide(base(url)))
      )
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.include(error.message, "[redacted]")
      tally.cases++
    }).pipe(observed))

  it.scopedLive("RefreshToken: an error JSON quoting the refresh token and client secret", () =>
    Effect.gen(function*() {
      const { url } = yield* serve(oauthEcho)
      const error = yield* failToAcquire(
        RefreshToken.layer({
          clientId: "echo-id",
          clientSecret: Redacted.make(clientSecret),
          refreshToken: Redacted.make(refreshToken)
        }).pipe(Layer.provide(base(url)))
      )
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.include(error.message, "[redacted]")
      tally.cases++
    }).pipe(observed))

  it.scopedLive("introspection: a refusal quoting the access token and client secret reaches only a scrubbed log line", () =>
    Effect.gen(function*() {
      const { url } = yield* serve((request, res) => {
        if (request.path.startsWith("/services/oauth2/introspect")) return oauthEcho(request, res)
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
          access_token: accessToken,
          instance_url: url,
          issued_at: String(Date.now()),
          token_type: "Bearer"
        }))
      })
      const token = yield* Effect.flatMap(TokenProvider.TokenProvider, (p) => p.get).pipe(
        Effect.provide(
          ClientCredentials.layer({ clientId: "echo-id", clientSecret: Redacted.make(clientSecret), introspect: true })
            .pipe(Layer.provide(base(url)))
        )
      )
      assert.strictEqual(Redacted.value(token.value), accessToken)
      tally.cases++
    }).pipe(observed))

  it.scopedLive("custom auth through AuthHttp with Basic credentials: the echo of the header and its base64 is scrubbed", () =>
    Effect.gen(function*() {
      const { url } = yield* serve((request, res) => res.writeHead(401, { "content-type": "text/plain" }).end(echoOf(request)))
      const response = yield* Effect.flatMap(AuthHttp.make(), (http) =>
        http.send(
          HttpClientRequest.post(`${url}/vault/token`).pipe(
            HttpClientRequest.basicAuth("basic-id", basicSecret),
            HttpClientRequest.bodyUrlParams({ grant: "client" })
          ),
          { method: "Vault" }
        )).pipe(Effect.provide(base(url)))
      assert.strictEqual(response.status, 401)
      assert.include(response.body, "[redacted]")
      // a custom method quoting the body in its error, as a careless one would
      seen(new AuthError.AuthenticationError({ method: "Vault", code: "refused", description: response.body }))
      tally.cases++
    }).pipe(observed))
})

describe("echoed secrets: REST", () => {
  const client = (url: string) =>
    Salesforce.layer().pipe(
      Layer.provide(Layer.mergeAll(
        Layer.orDie(TokenProvider.layerStatic({ accessToken: Redacted.make(staticToken), instanceUrl: url })),
        base(url)
      ))
    )

  const answers: ReadonlyArray<readonly [string, (request: Received, res: ServerResponse) => void]> = [
    ["400 error JSON", (request, res) =>
      res.writeHead(400, { "content-type": "application/json" }).end(
        JSON.stringify([{ errorCode: `BAD_${codeOf(request)}`, message: echoOf(request), fields: [codeOf(request)] }])
      )],
    ["401 that a new token cannot fix", (request, res) =>
      res.writeHead(401, { "content-type": "application/json" }).end(
        JSON.stringify([{
          errorCode: "INVALID_SESSION_ID",
          message: `This session is not valid for use with the REST API ${echoOf(request)}`
        }])
      )],
    ["500 HTML page", (request, res) =>
      res.writeHead(500, { "content-type": `text/html; x=${codeOf(request)}` }).end(
        `<html><head><title>Error ${xml(echoOf(request))}</title></head><body>${echoOf(request)}</body></html>`
      )],
    ["404 plain text", (request, res) => res.writeHead(404, { "content-type": "text/plain" }).end(echoOf(request))]
  ]

  for (const [name, answer] of answers) {
    it.scopedLive(`${name} quoting the bearer token`, () =>
      Effect.gen(function*() {
        const { url } = yield* serve(answer)
        const exit = yield* Effect.exit(
          Effect.flatMap(Salesforce.Salesforce, (sf) => sf.limits).pipe(
            Effect.provide(client(url)),
            Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.none)
          )
        )
        assert.isTrue(Exit.isFailure(exit))
        seen(exit)
        const error = seen(Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)) as Error
        assert.include(error.message, "[redacted]")
        tally.cases++
      }).pipe(observed))
  }
})

describe("echoed secrets: secrets", () => {
  it.effect("no secret in any log line, event or error of this file, and the echoes were scanned", () =>
    Effect.gen(function*() {
      const summary = yield* witness.assertClean
      figure("secrets.echo", { ...summary, cases: tally.cases })
      assert.strictEqual(tally.cases, 10, "every echo case ran")
      assert.isAbove(summary.error ?? 0, 20, "errors were scanned")
      assert.isAbove(summary.event ?? 0, 0, "events were scanned")
      assert.isAbove(summary.log ?? 0, 0, "log lines were scanned (the introspection warning)")
    }))
})
