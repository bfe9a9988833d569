import * as AuthError from "@effect-salesforce/auth/AuthError"
import * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import * as SalesforceError from "@effect-salesforce/client/SalesforceError"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { inspect } from "node:util"
import { json, type Reply, setup, sfError } from "./stub.js"

const failWith = (reply: Reply) =>
  Effect.gen(function*() {
    const { sf } = yield* setup(() => reply, { retryPolicy: RetryPolicy.none })
    return yield* Effect.flip(sf.sobject("Account").get("001A"))
  })

describe("error mapping", () => {
  it.scoped("each status maps to its tagged error, with status, code and message", () =>
    Effect.gen(function*() {
      const cases: Array<[Reply, string, string]> = [
        [sfError(404, "ENTITY_IS_DELETED", "entity is deleted", { fields: [] }), "NotFoundError", "ENTITY_IS_DELETED"],
        [sfError(403, "INSUFFICIENT_ACCESS", "insufficient access rights"), "AuthorizationError", "INSUFFICIENT_ACCESS"],
        [sfError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."), "RequestLimitExceededError", "REQUEST_LIMIT_EXCEEDED"],
        [sfError(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred"), "ServerError", "UNKNOWN_EXCEPTION"],
        [sfError(400, "MALFORMED_ID", "malformed id 001A"), "SalesforceApiError", "MALFORMED_ID"],
        [sfError(405, "METHOD_NOT_ALLOWED", "no"), "SalesforceApiError", "METHOD_NOT_ALLOWED"]
      ]
      for (const [reply, tag, code] of cases) {
        const error = yield* failWith(reply)
        assert.strictEqual(error._tag, tag)
        const api = error as SalesforceError.ApiError
        assert.strictEqual(api.status, (reply as { status: number }).status)
        assert.strictEqual(api.errorCode, code)
        assert.isTrue(SalesforceError.isSalesforceError(error))
        assert.isNotEmpty(api.message)
      }
    }))

  it.scoped("the daily limit is not retryable; the concurrent long-request limit is", () =>
    Effect.gen(function*() {
      const daily = (yield* failWith(sfError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))) as SalesforceError.RequestLimitExceededError
      assert.strictEqual(daily.kind, "Daily")
      assert.isFalse(daily.isRetryable)
      const concurrent = (yield* failWith(
        sfError(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")
      )) as SalesforceError.RequestLimitExceededError
      assert.strictEqual(concurrent.kind, "Concurrent")
      assert.isTrue(concurrent.isRetryable)
    }))

  it.scoped("a non-JSON error body still gives a useful message", () =>
    Effect.gen(function*() {
      const html = yield* failWith({
        status: 503,
        body: "<html><head><title>Service Unavailable - Maintenance</title></head><body>...</body></html>",
        headers: { "content-type": "text/html" }
      })
      assert.strictEqual(html._tag, "ServerError")
      const server = html as SalesforceError.ServerError
      assert.strictEqual(server.errorCode, "HTTP_503")
      assert.strictEqual(server.message, "HTTP 503 (text/html): Service Unavailable - Maintenance")
      const text = (yield* failWith({ status: 420, body: "Bad_OAuth_Token", headers: { "content-type": "text/plain" } })) as SalesforceError.SalesforceApiError
      assert.strictEqual(text.message, "HTTP 420 (text/plain): Bad_OAuth_Token")
      const empty = (yield* failWith({ status: 502 })) as SalesforceError.ServerError
      assert.strictEqual(empty.message, "HTTP 502 with an empty body")
    }))

  it.scoped("reads statusCode as errorCode, an object body as well as an array, and keeps every entry", () =>
    Effect.gen(function*() {
      const obj = (yield* failWith(json(400, { statusCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", message: "bad" }))) as SalesforceError.SalesforceApiError
      assert.strictEqual(obj.errorCode, "FIELD_CUSTOM_VALIDATION_EXCEPTION")
      const many = (yield* failWith(json(400, [
        { errorCode: "A", message: "first" },
        { errorCode: "B", message: "second", fields: ["X"] }
      ]))) as SalesforceError.SalesforceApiError
      assert.strictEqual(many.errorCode, "A")
      assert.deepStrictEqual(many.errors.map((e) => e.errorCode), ["A", "B"])
    }))

  it.scoped("Retry-After is kept on the error", () =>
    Effect.gen(function*() {
      const error = (yield* failWith(json(503, [{ errorCode: "X", message: "busy" }], { "retry-after": "7" }))) as SalesforceError.ServerError
      assert.strictEqual(error.retryAfterMillis, 7000)
    }))

  it.scoped("errors never hold the token, even from a server that echoes it", () =>
    Effect.gen(function*() {
      // every answer quotes the Authorization header it received, in the code, message and fields
      const echoes: ReadonlyArray<(auth: string) => Reply> = [
        (auth) => sfError(404, `NOT_FOUND_${auth}`, `no such record for ${auth}`, { fields: [auth] }),
        (auth) => sfError(400, "DUPLICATES_DETECTED", `duplicate ${auth}`, { duplicateResult: { duplicateRule: auth, matchResults: [] } }),
        (auth) => sfError(403, "REQUEST_LIMIT_EXCEEDED", auth),
        (auth) => sfError(401, "INVALID_SESSION_ID", `This session is not valid for use with the REST API: ${auth}`),
        (auth) => ({ status: 503, body: `<html><title>${auth}</title></html>`, headers: { "content-type": "text/html" } }),
        (auth) => ({ status: 420, body: JSON.stringify(auth), headers: { "content-type": "text/plain" } })
      ]
      for (const echo of echoes) {
        const { sf } = yield* setup((sent) => echo(sent.headers["authorization"] ?? ""), { retryPolicy: RetryPolicy.none })
        const exit = yield* Effect.exit(sf.sobject("Account").get("001A"))
        assert.isTrue(Exit.isFailure(exit))
        const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
        const renderings = [
          JSON.stringify(error),
          String(error),
          inspect(error, { depth: 12 }),
          Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause, { renderErrorCause: true })
        ].join("\n")
        assert.notMatch(renderings, /test-token/)
        assert.include(renderings, "[redacted]", "the server did echo the token, and it was scrubbed")
      }
    }))

  it.effect("isAuthError matches exactly the token provider's errors, not the client's nor InvalidConfigError", () =>
    Effect.sync(() => {
      const common = { status: 401, errorCode: "INVALID_SESSION_ID", message: "m", request: "GET /x" }
      assert.isFalse(AuthError.isAuthError(new SalesforceError.SessionRejectedError({ ...common, reason: "AfterRefresh" })))
      assert.isFalse(AuthError.isAuthError(new SalesforceError.ConnectionError({ reason: "Connection", request: "GET /x", detail: "d", sent: true })))
      assert.isFalse(AuthError.isAuthError(new AuthError.InvalidConfigError({ field: "f", detail: "d" })))
      assert.isTrue(AuthError.isAuthError(new AuthError.TransportError({ method: "M", reason: "Connection", request: "r", detail: "d" })))
      assert.isTrue(AuthError.isAuthError(new AuthError.AuthenticationError({ method: "M", code: "c", description: "d" })))
      assert.isTrue(AuthError.isAuthError(new AuthError.MalformedResponseError({ method: "M", request: "r", detail: "d" })))
    }))
})
