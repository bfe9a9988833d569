import { AuthenticationError, TransportError } from "@effect-salesforce/auth/AuthError"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import type { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"

export const definiteNo = new AuthenticationError({
  method: "Stub",
  code: "INVALID_LOGIN",
  description: "Invalid username, password, security token; or user locked out.",
  status: 500
})

export const transient = new TransportError({
  method: "Stub",
  reason: "Status",
  request: "POST https://stub.my.salesforce.com/services/oauth2/token",
  status: 503,
  detail: "server error"
})

/** A stub acquire that counts its runs and hands out `tok-1`, `tok-2`, ... */
export const counter = Effect.gen(function*() {
  const acquired = yield* Ref.make(0)
  const refreshed = yield* Ref.make(0)
  const grant = (n: number, expiresIn?: Duration.DurationInput): TokenProvider.TokenProvider.Grant => ({
    accessToken: Redacted.make(`00D000000000001!secret-tok-${n}`),
    instanceUrl: "https://acme.my.salesforce.com",
    expiresIn
  })
  return { acquired, refreshed, grant }
})

/** A fresh events bus with a subscriber that records everything, both live for the scope. */
export const recordEvents: Effect.Effect<
  { readonly bus: SalesforceEvents.SalesforceEvents.Service; readonly taken: Effect.Effect<Array<SalesforceEvent>> },
  never,
  Scope.Scope
> = Effect.gen(function*() {
  const bus = yield* SalesforceEvents.make()
  const queue = yield* bus.subscribe
  return { bus, taken: Effect.map(Queue.takeAll(queue), (chunk) => Array.from(chunk)) }
})

export const withBus = <A, E, R>(
  bus: SalesforceEvents.SalesforceEvents.Service,
  effect: Effect.Effect<A, E, R>
) => Effect.provideService(effect, SalesforceEvents.SalesforceEvents, bus)
