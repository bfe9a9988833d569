import { assert, describe, it } from "@effect/vitest"
import * as AccessToken from "@effect-salesforce/auth/AccessToken"
import { AuthenticationError, MalformedResponseError, TransportError } from "@effect-salesforce/auth/AuthError"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { inspect } from "node:util"
import { recordEvents, withBus } from "./helpers.js"

const SECRET = "00D5g000004XXXX!AQ4AQ-super-secret-token-value"

const renderings = (x: unknown): Array<string> => [
  String(x),
  JSON.stringify(x) ?? "",
  inspect(x, { depth: 20, showHidden: false }),
  x instanceof Error ? `${x.message}\n${x.stack ?? ""}` : ""
]

const assertNoSecret = (x: unknown, secret: string = SECRET) => {
  for (const text of renderings(x)) assert.notInclude(text, secret)
}

describe("secrets", () => {
  it.scoped("never appear in tokens, providers, errors or events", () =>
    Effect.gen(function*() {
      const { bus, taken } = yield* recordEvents
      const calls = yield* Ref.make(0)
      const provider = yield* withBus(
        bus,
        Effect.provide(
          TokenProvider.make({
            authMethod: "Leaky",
            acquire: Effect.flatMap(Ref.updateAndGet(calls, (n) => n + 1), (n) =>
              n === 1
                ? Effect.fail(new TransportError({ method: "Leaky", reason: "Status", request: "POST https://x.my.salesforce.com/services/oauth2/token", status: 503, detail: "server error" }))
                : Effect.succeed({ accessToken: Redacted.make(SECRET), instanceUrl: "https://acme.my.salesforce.com", expiresIn: "1 hour" })),
            failureCooldown: 0
          }),
          RetryPolicy.layer({ schedule: Schedule.stop })
        )
      )
      const failure = yield* Effect.flip(provider.get)
      const token = yield* provider.get
      assert.strictEqual(Redacted.value(token.value), SECRET)
      assertNoSecret(token)
      assertNoSecret(provider)
      assertNoSecret(failure)
      assertNoSecret(AccessToken.bearer(token))
      const events = yield* taken
      assert.isAbove(events.length, 1)
      for (const event of events) assertNoSecret(event)
    }))

  it.effect("error messages name the problem and print without secrets", () =>
    Effect.sync(() => {
      const errors = [
        new AuthenticationError({ method: "SoapLogin", code: "INVALID_LOGIN", description: "Invalid username, password, security token; or user locked out.", status: 500 }),
        new MalformedResponseError({ method: "ClientCredentials", request: "POST https://acme.my.salesforce.com/services/oauth2/token", status: 200, detail: "the JSON has no access_token" })
      ]
      assert.strictEqual(errors[0]!.message, "SoapLogin: [INVALID_LOGIN] Invalid username, password, security token; or user locked out.")
      assert.include(errors[1]!.message, "no access_token")
      for (const e of errors) assertNoSecret(e)
    }))
})
