/**
 * Record ids, external-id values, sObject and field names that would turn into another
 * resource (`..` read the sObject list; `delete("..")` sent `DELETE .../sobjects/`) are refused
 * before sending, with a typed error that does not quote the value. Against the emulator over
 * real HTTP: the emulator counts every request, so "nothing was sent" is asserted.
 */
import type * as Salesforce from "@effect-salesforce/client/Salesforce"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { connect, figure, seen, witness } from "./harness.js"

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, witness.loggerLayer)

const bad: ReadonlyArray<readonly [value: string, detail: RegExp]> = [
  ["", /is empty/],
  [".", /is "\.", which would name another resource/],
  ["..", /is "\.\.", which would name another resource/],
  ["../Contact", /contains "\/"/],
  ["001/..", /contains "\/"/],
  ["001?fields=Name", /contains "\?"/],
  ["001#x", /contains "#"/],
  ["..\\..", /contains "\\"/],
  ["001\uD800", /lone surrogate/]
]

/** Every operation that puts a caller's value in the path, with that value. */
const operations = (
  sf: Salesforce.Salesforce.Service,
  value: string
): ReadonlyArray<readonly [string, Effect.Effect<unknown, Salesforce.Salesforce.Error>]> => {
  const account = sf.sobject("Account")
  return [
    ["get", account.get(value)],
    ["update", account.update(value, { Name: "x" })],
    ["delete", account.delete(value)],
    ["getByExternalId (value)", account.getByExternalId("External_Id__c", value)],
    ["getByExternalId (field)", account.getByExternalId(value, "A-1")],
    ["upsert (value)", account.upsert("External_Id__c", value, { Name: "x" })],
    ["upsert (field)", account.upsert(value, "A-1", { Name: "x" })],
    ["sobject name: create", sf.sobject(value).create({ Name: "x" })],
    ["sobject name: get", sf.sobject(value).get("001000000000001AAA")]
  ]
}

let refused = 0

describe("hostile ids: values that are not one path segment", () => {
  it.scopedLive("every operation refuses each bad value before sending, with an InvalidRequestError", () =>
    Effect.gen(function*() {
      const { control, sf } = yield* connect("ClientCredentials")
      yield* sf.limits // the token is in hand: any later request would be the operation's
      const before = (yield* control.counters).totalRequests
      for (const [value, detail] of bad) {
        for (const [name, operation] of operations(sf, value)) {
          refused += 1
          const error = seen(yield* Effect.flip(operation))
          assert.strictEqual(error._tag, "InvalidRequestError", `${name} ${JSON.stringify(value)}`)
          assert.match(error.message, detail, `${name} ${JSON.stringify(value)}`)
          assert.match(error.message, /^refused (GET|POST|PATCH|DELETE) \/sobjects\/\{sobject\}/)
          if (value.length > 2) assert.notInclude(error.message, value, "the value is not quoted")
        }
      }
      assert.strictEqual((yield* control.counters).totalRequests, before, "nothing was sent")
    }).pipe(observed))

  it.scopedLive("values with spaces, %, +, quotes and non-ASCII letters are one encoded segment and work", () =>
    Effect.gen(function*() {
      const { control, sf } = yield* connect("ClientCredentials")
      const account = sf.sobject("Account")
      for (const value of ["A 1", "100%", "a+b", "O'Brien \"&\" Sons", "Zoë-東京", "%2e%2e", "..."]) {
        const { created, id } = yield* account.upsert("External_Id__c", value, { Name: `n ${value}` })
        assert.isTrue(created, value)
        const record = yield* account.getByExternalId("External_Id__c", value)
        assert.strictEqual(record["Id"], id, value)
        assert.strictEqual(record["External_Id__c"], value)
      }
      const paths = (yield* control.requestLog).map((entry) => entry.path)
      assert.isTrue(paths.some((p) => p.endsWith("/External_Id__c/%252e%252e")), "a literal %2e%2e is sent encoded, not as ..")
    }).pipe(observed))
})

describe("hostile ids: secrets", () => {
  it.effect("no secret in any log line, event, error or request URL of this file", () =>
    Effect.gen(function*() {
      const summary = yield* witness.assertClean
      figure("hostileIds", { refused })
      figure("secrets.hostileIds", summary)
    }))
})
