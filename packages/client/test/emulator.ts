/**
 * Integration helpers: a `Salesforce` client over real HTTP (undici) against an emulator on
 * loopback, authenticated with the built-in client-credentials method.
 */
import * as ClientCredentials from "@effect-salesforce/auth/ClientCredentials"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import type { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import * as Salesforce from "@effect-salesforce/client/Salesforce"
import { Emulator } from "@effect-salesforce/emulator"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"

export const app = Emulator.defaultOptions.connectedApps[0]!

/** Retries without delays: the tests never wait on a clock. */
export const instantRetries = RetryPolicy.make({ schedule: Schedule.recurs(3) })

/** The auth side of an org: config, events bus, transport and the client-credentials provider. */
export const authLayer = (baseUrl: string) => {
  const base = Layer.mergeAll(
    SalesforceConfig.layer({ baseUrl, apiVersion: "64.0" }),
    SalesforceEvents.layer,
    NodeHttpClient.layerUndici
  )
  return ClientCredentials.layer({ clientId: app.clientId, clientSecret: Redacted.make(app.clientSecret!) }).pipe(
    Layer.provideMerge(base),
    Layer.orDie
  )
}

/** Start an emulator and connect a client to it; both live as long as the scope. */
export const connect = (emulatorOptions: Emulator.Options = {}, options: Salesforce.Salesforce.Options = {}) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.make(emulatorOptions)
    const context = yield* Layer.build(authLayer(emulator.baseUrl))
    const sf = yield* Salesforce.make({ retryPolicy: instantRetries, ...options }).pipe(Effect.provide(context))
    const bus = yield* Effect.provide(SalesforceEvents.SalesforceEvents, context)
    const queue = yield* bus.subscribe
    const events = Effect.map(Queue.takeAll(queue), (c): Array<SalesforceEvent> => Chunk.toArray(c))
    const { control } = emulator
    /** Requests the emulator counted on paths starting with `prefix`. */
    const requestsUnder = (prefix: string) =>
      Effect.map(control.counters, (c) =>
        Object.entries(c.requestsPerPath).filter(([path]) => path.startsWith(prefix)).reduce((n, [, k]) => n + k, 0))
    const grants = Effect.map(control.counters, (c) => c.grantsPerType["client_credentials"] ?? 0)
    return { sf, emulator, control, events, requestsUnder, grants, context }
  })

export const v = "/services/data/v64.0"
