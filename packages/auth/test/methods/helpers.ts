/** Shared set-up for the auth-method tests: the emulator environment, event recording, stubs, secret checks. */
import * as util from "node:util"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert } from "@effect/vitest"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import type { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import { Emulator } from "@effect-salesforce/emulator"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"

/** The emulator's default credentials. */
export const user = { username: "user@example.com", password: "Passw0rd!", securityToken: "EmulatorToken123" }
export const app = {
  clientId: "3MVG9EmulatorDefaultClientId",
  clientSecret: "EmulatorDefaultClientSecret",
  refreshToken: "5Aep861EmulatorDefaultRefreshToken"
}

/**
 * An emulator plus everything a method layer needs: `SalesforceConfig` on the emulator's URL
 * (or `baseUrl`, then requests are rewritten to the emulator), the events bus and undici.
 */
export const emulatorEnv = (
  options: Emulator.Options = {},
  { apiVersion, baseUrl }: { readonly baseUrl?: string; readonly apiVersion?: string } = {}
) =>
  Layer.mergeAll(
    Layer.unwrapEffect(
      Effect.map(Emulator.Emulator, (emulator) =>
        SalesforceConfig.layer({ baseUrl: baseUrl ?? emulator.baseUrl, apiVersion }))
    ),
    SalesforceEvents.layer(),
    baseUrl === undefined ? NodeHttpClient.layerUndici : redirected(baseUrl)
  ).pipe(Layer.provideMerge(Emulator.layer(options)))

/**
 * undici, as if `host` resolved to the emulator: every request's origin is replaced by the
 * emulator's, and the emulator's own URL in answers (`instance_url`, `serverUrl`) by `host`'s
 * origin, so the instance is the configured host, as on Salesforce.
 */
const redirected = (host: string) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.Emulator
      const origin = new URL(host).origin
      const client = yield* HttpClient.HttpClient
      return client.pipe(
        HttpClient.mapRequest((request) => HttpClientRequest.setUrl(request, request.url.replace(/^https?:\/\/[^/]+/, baseUrl))),
        HttpClient.transformResponse(Effect.flatMap((response) =>
          Effect.map(response.text, (text) =>
            HttpClientResponse.fromWeb(
              response.request,
              new Response(text.split(baseUrl).join(origin), { status: response.status, headers: response.headers })
            ))
        ))
      )
    })
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))

/** Retries without waiting (tests run on the TestClock). */
export const noDelayRetries = RetryPolicy.layer({ schedule: Schedule.recurs(3) })

/** Record every event on the bus from now on. `events` lets forked fibers finish publishing first. */
export const recordEvents = Effect.gen(function*() {
  const bus = yield* SalesforceEvents.SalesforceEvents
  const queue = yield* bus.subscribe
  const seen: Array<SalesforceEvent> = []
  const events = Effect.gen(function*() {
    for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
    seen.push(...(yield* Queue.takeAll(queue)))
    return [...seen]
  })
  /** Wait (without the clock: no TestClock needed) until an event with this tag arrives; returns all seen so far. */
  const waitFor = (tag: SalesforceEvent["_tag"]) =>
    Effect.gen(function*() {
      while (!seen.some((e) => e._tag === tag)) seen.push(yield* Queue.take(queue))
      return [...seen]
    })
  return { events, waitFor }
})

/** The tags of some events, in order. */
export const tags = (events: ReadonlyArray<SalesforceEvent>) => events.map((e) => e._tag)

/** Assert that no secret appears in any rendering (JSON, String, inspect, message) of any value. */
export const assertNoSecrets = (secrets: ReadonlyArray<string>, values: ReadonlyArray<unknown>) => {
  assert.isAbove(secrets.length, 0)
  for (const value of values) {
    const renderings = [
      JSON.stringify(value) ?? "",
      String(value),
      util.inspect(value, { depth: 10, showHidden: false }),
      value instanceof Error ? `${value.message}\n${value.stack ?? ""}` : ""
    ]
    for (const text of renderings) {
      for (const secret of secrets) {
        assert.isFalse(text.includes(secret), `a secret leaked into ${text.slice(0, 200)}`)
      }
    }
  }
}

/** A scripted answer of the stub transport. */
export interface StubAnswer {
  readonly status: number
  readonly body: string
  readonly headers?: Record<string, string>
}

/**
 * An `HttpClient` that answers from a script (the last answer repeats) and records the
 * requests (URL and body text).
 */
export const stubClient = (answers: ReadonlyArray<StubAnswer>) =>
  Effect.gen(function*() {
    const requests = yield* Ref.make<ReadonlyArray<{ readonly url: string; readonly body: string }>>([])
    const client = HttpClient.make((request) =>
      Effect.gen(function*() {
        const sent = yield* Ref.modify(requests, (all) => [all.length, [...all, { url: request.url, body: bodyText(request) }]])
        const answer = answers[Math.min(sent, answers.length - 1)]!
        return HttpClientResponse.fromWeb(
          request,
          new Response(answer.body, { status: answer.status, headers: answer.headers ?? {} })
        )
      })
    )
    return { client, requests: Ref.get(requests) }
  })

const bodyText = (request: HttpClientRequest.HttpClientRequest): string =>
  request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""

/** The environment of a stub-transport test: a My Domain config, a bus and the stub. */
export const stubEnv = (client: HttpClient.HttpClient, baseUrl = "https://acme.my.salesforce.com") =>
  Layer.mergeAll(
    SalesforceConfig.layer({ baseUrl }),
    SalesforceEvents.layer(),
    Layer.succeed(HttpClient.HttpClient, client)
  )
