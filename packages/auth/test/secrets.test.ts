import { assert, describe, it } from "@effect/vitest"
import * as AccessToken from "@effect-salesforce/auth/AccessToken"
import { TransportError } from "@effect-salesforce/auth/AuthError"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import * as SoapLogin from "@effect-salesforce/auth/SoapLogin"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { inspect } from "node:util"
import { recordEvents, withBus } from "./helpers.js"
import { stubClient, stubEnv } from "./methods/helpers.js"

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

  it.scoped("error messages name the problem and print without secrets", () =>
    Effect.gen(function*() {
      const password = "Pa55-word-secret"
      const securityToken = "SecTok-8XJ2Qw"
      const options = { username: "user@acme.com", password: Redacted.make(password), securityToken: Redacted.make(securityToken) }
      // a fault that quotes what it was sent (a proxy or a careless server)
      const fault = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out. Sent: ${password}${securityToken}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
      const { client } = yield* stubClient([{ status: 500, body: fault }])
      const refused = yield* Effect.flip(
        Effect.flatMap(SoapLogin.make({ ...options, failureCooldown: 0 }), (p) => p.get).pipe(Effect.provide(stubEnv(client)))
      )
      assert.match(refused.message, /^SoapLogin: \[INVALID_LOGIN\] Invalid username, password, security token; or user locked out\./)
      // a bad option: the field is named, its value is not shown
      const badOption = yield* Effect.flip(
        SoapLogin.make({ ...options, password: Redacted.make(`${password}\u0001`) }).pipe(Effect.provide(stubEnv(client)))
      )
      assert.match(badOption.message, /^Invalid password: contains a control character/)
      const notRedacted = yield* Effect.flip(
        SoapLogin.make({ ...options, securityToken: securityToken as unknown as Redacted.Redacted<string> }).pipe(
          Effect.provide(stubEnv(client))
        )
      )
      assert.strictEqual(notRedacted.message, "Invalid securityToken: must be a Redacted value (Redacted.make(...))")
      for (const error of [refused, badOption, notRedacted]) {
        assertNoSecret(error, password)
        assertNoSecret(error, securityToken)
      }
    }))
})
