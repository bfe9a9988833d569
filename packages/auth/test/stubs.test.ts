import { assert, describe, it } from "@effect/vitest"
import * as AccessToken from "@effect-salesforce/auth/AccessToken"
import { AuthenticationError } from "@effect-salesforce/auth/AuthError"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

/** A small consumer service: what a user's own code looks like. */
class Greeter extends Context.Tag("test/Greeter")<Greeter, { readonly hello: Effect.Effect<string, unknown> }>() {
  static layer = Layer.effect(
    Greeter,
    Effect.gen(function*() {
      const tokens = yield* TokenProvider.TokenProvider
      return {
        hello: Effect.gen(function*() {
          const token = yield* tokens.get
          return `calling ${token.instanceUrl} with ${Redacted.value(token.value)}`
        })
      }
    })
  )
}

describe("TokenProvider stubs", () => {
  it.effect("layerStatic serves a fixed token and refuses to refresh it", () =>
    Effect.gen(function*() {
      const greeter = yield* Greeter
      assert.strictEqual(yield* greeter.hello, "calling https://acme.my.salesforce.com with static-token")
      const tokens = yield* TokenProvider.TokenProvider
      const stale = yield* tokens.get
      const error = yield* Effect.flip(tokens.refresh(stale))
      assert.instanceOf(error, AuthenticationError)
      assert.strictEqual(error._tag === "AuthenticationError" ? error.code : "", "STATIC_TOKEN_REJECTED")
    }).pipe(
      Effect.provide(
        Greeter.layer.pipe(
          Layer.provideMerge(
            TokenProvider.layerStatic({ accessToken: Redacted.make("static-token"), instanceUrl: "https://acme.my.salesforce.com/" })
          )
        )
      )
    ))

  it.effect("layerStatic refuses an insecure instance URL", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.provide(TokenProvider.TokenProvider, TokenProvider.layerStatic({ accessToken: Redacted.make("t"), instanceUrl: "http://acme.example.com" }))
      )
      assert.strictEqual(error._tag, "InvalidConfigError")
      assert.include(error.message, "instanceUrl")
    }))

  it.effect("layerTest scripts tokens, counts acquisitions and refreshes, and can fail on demand", () =>
    Effect.gen(function*() {
      const greeter = yield* Greeter
      const test = yield* TokenProvider.TestTokenProvider
      const tokens = yield* TokenProvider.TokenProvider
      assert.strictEqual(yield* greeter.hello, "calling https://test.my.salesforce.com with first")
      yield* greeter.hello
      assert.strictEqual(yield* test.acquisitions, 1)
      const stale = yield* tokens.get
      const fresh = yield* Effect.all([tokens.refresh(stale), tokens.refresh(stale)], { concurrency: 2 })
      assert.strictEqual(Redacted.value(fresh[0].value), "second")
      assert.isTrue(AccessToken.sameValue(fresh[0], fresh[1]))
      assert.strictEqual(yield* test.refreshes, 1)
      yield* test.failNext(new AuthenticationError({ method: "Test", code: "invalid_grant", description: "expired access/refresh token" }))
      const error = yield* Effect.flip(tokens.refresh())
      assert.strictEqual(error.message, "Test: [invalid_grant] expired access/refresh token")
      // no cool-down in the stub: the next call works
      assert.strictEqual(Redacted.value((yield* tokens.refresh()).value), "second")
      assert.strictEqual(yield* test.refreshes, 2)
    }).pipe(Effect.provide(Greeter.layer.pipe(Layer.provideMerge(TokenProvider.layerTest({ tokens: ["first", "second"] }))))))
})
