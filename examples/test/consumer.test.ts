/**
 * Testing a service built on `Salesforce` (AccountDirectory, in examples/consumer-test.ts)
 * with no org and no network: `TokenProvider.layerTest` hands out scripted tokens with the real
 * caching rules, and a stub `HttpClient` answers requests and records them.
 *
 * The pattern to copy: build the real `Salesforce.layer()` over test doubles, and assert on
 * what the stub was sent and on the `TestTokenProvider` counters.
 */
import { HttpClient, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { AuthError, SalesforceConfig, SalesforceEvents, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AccountDirectory } from "../consumer-test.js"

const instanceUrl = "https://acme.my.salesforce.com"

interface Sent {
  readonly method: string
  readonly url: URL
  readonly authorization: string | undefined
  readonly body: unknown
}

/** A stub transport: `reply` answers each request (a web `Response`); `sent` records them. */
const stubHttp = (reply: (sent: Sent, index: number) => Response) => {
  const sent: Array<Sent> = []
  const client = HttpClient.make((request: HttpClientRequest.HttpClientRequest, url) =>
    Effect.sync(() => {
      const body = request.body._tag === "Uint8Array"
        ? JSON.parse(new TextDecoder().decode(request.body.body))
        : undefined
      const entry: Sent = { method: request.method, url, authorization: request.headers["authorization"], body }
      sent.push(entry)
      return HttpClientResponse.fromWeb(request, reply(entry, sent.length - 1))
    })
  )
  return { sent, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

/** The service over the real client, over test doubles; `TestTokenProvider` stays visible to the test. */
const testLayer = (http: Layer.Layer<HttpClient.HttpClient>) =>
  AccountDirectory.layer.pipe(
    Layer.provide(Salesforce.layer()),
    Layer.provideMerge(Layer.mergeAll(
      TokenProvider.layerTest({ instanceUrl }),
      SalesforceEvents.layer,
      Layer.orDie(SalesforceConfig.layer({ baseUrl: instanceUrl, apiVersion: "64.0" })),
      http
    ))
  )

/** A fresh `Response` per call: a web body can be read once. */
const energyPage = () =>
  json(200, {
  totalSize: 1,
  done: true,
  records: [{ attributes: { type: "Account" }, Id: "001A", Name: "Globex", Industry: "Energy" }]
})

describe("AccountDirectory", () => {
  it.effect("queries by industry with an escaped literal and the provider's token", () => {
    const stub = stubHttp(energyPage)
    return Effect.gen(function*() {
      const accounts = yield* (yield* AccountDirectory).byIndustry("O'Brien & Sons")
      assert.deepStrictEqual(accounts.map((a) => a.Name), ["Globex"])
      assert.strictEqual(stub.sent.length, 1)
      const [request] = stub.sent
      assert.strictEqual(request!.url.origin, instanceUrl)
      assert.strictEqual(request!.url.pathname, "/services/data/v64.0/query")
      assert.include(request!.url.searchParams.get("q")!, "WHERE Industry = 'O\\'Brien & Sons'")
      assert.strictEqual(request!.authorization, "Bearer test-token-1")
    }).pipe(Effect.provide(testLayer(stub.layer)))
  })

  it.effect("an expired session costs one refresh and one resend", () => {
    const stub = stubHttp((_, index) =>
      index === 0 ? json(401, [{ errorCode: "INVALID_SESSION_ID", message: "Session expired or invalid" }]) : energyPage()
    )
    return Effect.gen(function*() {
      const accounts = yield* (yield* AccountDirectory).byIndustry("Energy")
      assert.strictEqual(accounts.length, 1)
      const test = yield* TokenProvider.TestTokenProvider
      assert.strictEqual(yield* test.acquisitions, 1)
      assert.strictEqual(yield* test.refreshes, 1)
      assert.deepStrictEqual(stub.sent.map((s) => s.authorization), ["Bearer test-token-1", "Bearer test-token-2"])
    }).pipe(Effect.provide(testLayer(stub.layer)))
  })

  it.effect("rename sends a PATCH with the new name", () => {
    const stub = stubHttp(() => new Response(null, { status: 204 }))
    return Effect.gen(function*() {
      yield* (yield* AccountDirectory).rename("001A", "Globex Corp")
      const [request] = stub.sent
      assert.strictEqual(request!.method, "PATCH")
      assert.strictEqual(request!.url.pathname, "/services/data/v64.0/sobjects/Account/001A")
      assert.deepStrictEqual(request!.body, { Name: "Globex Corp" })
    }).pipe(Effect.provide(testLayer(stub.layer)))
  })

  it.effect("a missing record is a typed NotFoundError", () => {
    const stub = stubHttp(() => json(404, [{ errorCode: "NOT_FOUND", message: "The requested resource does not exist" }]))
    return Effect.gen(function*() {
      const error = yield* Effect.flip((yield* AccountDirectory).rename("001X", "Nobody"))
      assert.strictEqual(error._tag, "NotFoundError")
    }).pipe(Effect.provide(testLayer(stub.layer)))
  })

  it.effect("a failed token acquisition surfaces as the AuthError, with no request sent", () => {
    const stub = stubHttp(energyPage)
    return Effect.gen(function*() {
      const test = yield* TokenProvider.TestTokenProvider
      yield* test.failNext(
        new AuthError.AuthenticationError({
          method: "Test",
          code: "INVALID_LOGIN",
          description: "Invalid username, password, security token; or user locked out."
        })
      )
      const error = yield* Effect.flip((yield* AccountDirectory).byIndustry("Energy"))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(stub.sent.length, 0)
    }).pipe(Effect.provide(testLayer(stub.layer)))
  })
})
