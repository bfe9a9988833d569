/**
 * Test doubles for the unit tests: a scripted `HttpClient` (no network) that records what it
 * was sent, and the layers a `Salesforce` client needs.
 */
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import type { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Salesforce from "@effect-salesforce/client/Salesforce"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"

export const instanceUrl = "https://acme.my.salesforce.com"

/** What the stub received. */
export interface Sent {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | undefined
}

/** A scripted answer. */
export type Reply =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  | { readonly fail: "Transport" | "InvalidUrl"; readonly code?: string }

export type Handler = (sent: Sent, index: number) => Reply | Effect.Effect<Reply>

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers
})

export const sfError = (status: number, errorCode: string, message: string, extra: object = {}): Reply =>
  json(status, [{ message, errorCode, ...extra }])

/** Build a stub client; `sent` holds every request in order. */
export const makeStub = (handler: Handler) => {
  const sent: Array<Sent> = []
  const client = HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : undefined
      const entry: Sent = { method: request.method, url, headers: { ...request.headers }, body }
      const index = sent.length
      sent.push(entry)
      const result = handler(entry, index)
      const reply = Effect.isEffect(result) ? yield* result : result
      return yield* toResponse(request, reply)
    })
  )
  return { client, sent }
}

const toResponse = (request: HttpClientRequest.HttpClientRequest, reply: Reply) => {
  if ("fail" in reply) {
    return Effect.fail(
      new HttpClientError.RequestError({
        request,
        reason: reply.fail,
        cause: reply.code === undefined ? new Error("socket hang up") : Object.assign(new Error(reply.code), { code: reply.code })
      })
    )
  }
  const text = reply.body === undefined ? null : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body)
  const headers: Record<string, string> = {
    "sforce-limit-info": "api-usage=42/15000",
    ...(typeof reply.body === "string" || reply.body === undefined ? {} : { "content-type": "application/json;charset=UTF-8" }),
    ...reply.headers
  }
  return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(text, { status: reply.status, headers })))
}

/** Retries without delays, so unit tests under the TestClock never wait. */
export const instantRetries = RetryPolicy.make({ schedule: Schedule.recurs(3) })

/** Everything `Salesforce.make` needs, with a stub client and the test token provider. */
export const env = (client: HttpClient.HttpClient, tokens: Parameters<typeof TokenProvider.layerTest>[0] = {}) =>
  Layer.mergeAll(
    TokenProvider.layerTest({ instanceUrl, ...tokens }),
    SalesforceEvents.layer,
    Layer.orDie(SalesforceConfig.layer({ baseUrl: instanceUrl, apiVersion: "64.0" })),
    Layer.succeed(HttpClient.HttpClient, client)
  )

/** A client over a stub, plus the stub's log; retries are instant unless `options.retryPolicy` says otherwise. */
export const setup = (handler: Handler, options: Salesforce.Salesforce.Options = {}) =>
  Effect.gen(function*() {
    const stub = makeStub(handler)
    const context = yield* Layer.build(env(stub.client))
    const sf = yield* Salesforce.make({ retryPolicy: instantRetries, ...options }).pipe(Effect.provide(context))
    const tokens = yield* Effect.provide(TokenProvider.TestTokenProvider, context)
    const bus = yield* Effect.provide(SalesforceEvents.SalesforceEvents, context)
    const queue = yield* bus.subscribe
    const events = Effect.map(Queue.takeAll(queue), (c): Array<SalesforceEvent> => Chunk.toArray(c))
    return { sf, sent: stub.sent, tokens, events, context }
  })

/** The value of the `Authorization` header a request carried. */
export const authOf = (sent: Sent) => sent.headers["authorization"]
