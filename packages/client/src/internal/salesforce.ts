/** The implementation of `Salesforce.make`. @internal */
import { InvalidConfigError } from "@effect-salesforce/auth/AuthError"
import { SalesforceConfig } from "@effect-salesforce/auth/SalesforceConfig"
import { SalesforceEvents } from "@effect-salesforce/auth/SalesforceEvents"
import { TokenProvider } from "@effect-salesforce/auth/TokenProvider"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Salesforce } from "../Salesforce.js"
import { valueProblem } from "./headers.js"
import * as Limiter from "./limiter.js"
import * as Pipeline from "./pipeline.js"
import * as Rest from "./rest.js"

/**
 * 64 MiB: above Salesforce's largest ordinary answers (a 2,000-record query page of wide records,
 * a composite answer of 25 subrequests), far below what hurts a process.
 * @internal
 */
export const defaultMaxResponseBytes = 64 * 1024 * 1024

/** @internal */
export const make = (
  options: Salesforce.Options = {}
): Effect.Effect<
  Salesforce.Service,
  InvalidConfigError,
  TokenProvider | SalesforceEvents | SalesforceConfig | HttpClient.HttpClient | Scope.Scope
> =>
  Effect.gen(function*() {
    const clientName = yield* checkClientName(options.clientName ?? "effect-salesforce")
    // No trace headers (traceparent, b3) to Salesforce, and no platform `http.client` span under our own
    // `Salesforce.execute` span: it would be a second client span per attempt, and it records every
    // header and the full query string (SOQL, which can hold personal data) as attributes.
    // (with the platform span off, no trace context is propagated either: no traceparent or b3 header)
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
    const tokens = yield* TokenProvider
    const events = yield* SalesforceEvents
    const config = yield* SalesforceConfig
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 100))
    const limiter = yield* Limiter.make(concurrency)
    const execute = Pipeline.make({
      client,
      tokens,
      events,
      apiVersion: config.apiVersion,
      withPermit: limiter.withPermit,
      clientName,
      policy: options.retryPolicy,
      requestTimeout: Duration.decode(options.requestTimeout ?? Duration.minutes(2)),
      maxResponseBytes: options.maxResponseBytes ?? defaultMaxResponseBytes,
      rejectedSessionCooldown: Duration.decode(options.rejectedSessionCooldown ?? Duration.minutes(1))
    })
    const httpClient = HttpClient.makeWith<never, never, Salesforce.Error, never>(
      (request) => Effect.flatMap(request, (r) => execute(r)),
      Effect.succeed
    )
    return {
      execute,
      httpClient,
      query: Rest.makeQuery(execute, "query"),
      queryAll: Rest.makeQuery(execute, "queryAll"),
      sobject: Rest.makeSObject(execute),
      limits: Rest.makeLimits(execute),
      apiVersion: config.apiVersion
    }
  })

/**
 * `clientName` goes into every request as `Sforce-Call-Options: client=<name>`: it must be a
 * header value (no CR, LF or other control character) and one option (no comma).
 * @internal
 */
export const checkClientName = (name: string): Effect.Effect<string, InvalidConfigError> => {
  const fail = (detail: string) => Effect.fail(new InvalidConfigError({ field: "clientName", detail }))
  if (name.trim() === "") return fail("must not be empty")
  const problem = valueProblem(name)
  if (problem !== undefined) return fail(`${problem} (it is sent in the Sforce-Call-Options header)`)
  if (name.includes(",")) return fail("contains a comma, which would start another Sforce-Call-Options option")
  return Effect.succeed(name)
}
