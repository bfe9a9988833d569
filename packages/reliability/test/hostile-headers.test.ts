/**
 * Caller mistakes are not network faults: a CR or LF (or another character HTTP cannot carry)
 * in a header name or value is an immediate `InvalidRequestError`, never sent and never
 * retried (it was a `ConnectionError` with `sent: true`, retried three times); a bad
 * `clientName` fails the client's construction. Against the emulator over real HTTP, which
 * counts every request.
 */
import type { SalesforceEvent } from "@effect-salesforce/auth/SalesforceEvent"
import * as Salesforce from "@effect-salesforce/client/Salesforce"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import { connect, figure, seen, v, witness } from "./harness.js"

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, witness.loggerLayer)

/** A secret-looking header value: it must not be quoted by any error. */
const secretValue = "Bearer 00D8d000004HeAdEr!AQcAQSecretInAHeader2Vw"
witness.addSecret("header value", secretValue)

const cases: ReadonlyArray<{ readonly name: string; readonly headers: Record<string, string>; readonly detail: RegExp }> = [
  { name: "CR LF in a value", headers: { "X-Trace": `${secretValue}\r\nX-Injected: 1` }, detail: /the value of header x-trace contains a CR or LF/ },
  { name: "a lone LF in a value", headers: { "X-Trace": `${secretValue}\nX-Injected: 1` }, detail: /contains a CR or LF/ },
  { name: "a lone CR in a value", headers: { "X-Trace": `a\rb` }, detail: /contains a CR or LF/ },
  { name: "NUL in a value", headers: { "X-Trace": `a\u0000b` }, detail: /contains the character U\+0000/ },
  { name: "a character above U+00FF in a value", headers: { "X-Trace": `a\u2028b` }, detail: /contains the character U\+2028/ },
  { name: "CR LF in a name", headers: { "X-A\r\nX-Injected": "1" }, detail: /a header name contains a CR or LF/ },
  { name: "a space in a name", headers: { "X A": "1" }, detail: /a header name is not a valid token/ },
  { name: "an empty name", headers: { "": "1" }, detail: /a header name is not a valid token/ }
]

let refused = 0

describe("hostile headers: refused before sending, not retried", () => {
  it.scopedLive("options.headers, headers on the request, and the raw httpClient: InvalidRequestError, nothing sent, no Retry", () =>
    Effect.gen(function*() {
      const { bus, control, sf } = yield* connect("ClientCredentials")
      yield* sf.limits
      const events = yield* bus.subscribe
      const before = (yield* control.counters).totalRequests
      for (const c of cases) {
        const viaOptions = sf.execute(HttpClientRequest.get("limits"), { headers: c.headers })
        const viaRequest = sf.execute(HttpClientRequest.get("limits").pipe(HttpClientRequest.setHeaders(c.headers)))
        const viaHttpClient = sf.httpClient.execute(HttpClientRequest.get(`${v}/limits`).pipe(HttpClientRequest.setHeaders(c.headers)))
        for (const attempt of [viaOptions, viaRequest, viaHttpClient]) {
          refused += 1
          const error = seen(yield* Effect.flip(attempt))
          assert.strictEqual(error._tag, "InvalidRequestError", c.name)
          assert.match(error.message, c.detail, c.name)
          assert.notInclude(error.message, "Injected")
        }
      }
      assert.strictEqual((yield* control.counters).totalRequests, before, "nothing was sent")
      const published: ReadonlyArray<SalesforceEvent> = Array.from(yield* Queue.takeAll(events))
      assert.deepStrictEqual(published.filter((e) => e._tag === "Retry" || e._tag === "Request"), [], "no Retry, no Request event")
      // and the client works
      yield* sf.limits
    }).pipe(observed))
})

describe("hostile headers: clientName", () => {
  it.scopedLive("a CR, LF, control character or comma in clientName fails construction; a plain one is sent", () =>
    Effect.gen(function*() {
      const { context, control } = yield* connect("ClientCredentials")
      for (const [clientName, detail] of [
        ["app\r\nX-Injected: 1", /clientName: contains a CR or LF/],
        ["app\n", /contains a CR or LF/],
        ["app\u0007", /contains the character U\+0007/],
        ["app, defaultNamespace=evil", /contains a comma/],
        ["  ", /must not be empty/]
      ] as const) {
        refused += 1
        const error = seen(yield* Effect.flip(Salesforce.make({ clientName }).pipe(Effect.provide(context))))
        assert.strictEqual(error._tag, "InvalidConfigError")
        assert.strictEqual(error.field, "clientName")
        assert.match(error.message, detail)
      }
      const sf = yield* Salesforce.make({ clientName: "acme-sync/1.2 (nightly)" }).pipe(Effect.provide(context))
      yield* sf.limits
      const last = (yield* control.requestLog).at(-1)
      assert.strictEqual(last?.headers["sforce-call-options"], "client=acme-sync/1.2 (nightly)")
    }).pipe(observed))
})

describe("hostile headers: secrets", () => {
  it.effect("no secret in any log line, event, error or request URL of this file", () =>
    Effect.gen(function*() {
      const summary = yield* witness.assertClean
      figure("hostileHeaders", { refused })
      figure("secrets.hostileHeaders", summary)
    }))
})
