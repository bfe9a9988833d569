/**
 * Custom authentication: the access token comes from an external token service (a vault, a
 * sidecar, a company-wide token broker), not from a Salesforce login. `TokenProvider.make`
 * takes the effect that fetches one and adds everything else: the cache, one fetch however
 * many callers, expiry with a margin, refresh ahead of expiry, retries of transient faults,
 * a cool-down after a definite "no", events and spans.
 *
 *   npx tsx examples/custom-auth.ts
 *
 * The "external service" here is a small `node:http` server on 127.0.0.1 that itself gets its
 * tokens from the org with the client-credentials flow (SALESFORCE_BASE_URL,
 * SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET; without SALESFORCE_BASE_URL, from an embedded
 * emulator). It fails its first call with a 503, to show the retry.
 */
import { HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import {
  AuthError,
  AuthHttp,
  SalesforceConfig,
  SalesforceEvent,
  SalesforceEvents,
  TokenProvider
} from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Config, Console, Context, Duration, Effect, Layer, Option, Redacted, Schema, type Scope, Stream } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { runIfMain } from "./internal/main.js"
import { withOrg } from "./internal/org.js"

// ---------------------------------------------------------------------------
// The external token service (not part of your program: it stands in for Vault & co.)
// ---------------------------------------------------------------------------

class TokenService extends Context.Tag("examples/TokenService")<TokenService, {
  readonly url: string
  /** Tokens it handed out. */
  readonly issued: () => number
}>() {}

const TokenServiceLive = Layer.scoped(
  TokenService,
  Effect.gen(function*() {
    const baseUrl = yield* Config.string("SALESFORCE_BASE_URL")
    const clientId = yield* Config.string("SALESFORCE_CLIENT_ID")
    const clientSecret = yield* Config.redacted("SALESFORCE_CLIENT_SECRET")
    let calls = 0
    let issued = 0
    const server = createServer((req, res) => {
      calls++
      if (req.url !== "/salesforce/token") return void res.writeHead(404).end()
      if (calls === 1) return void res.writeHead(503, { "retry-after": "0" }).end("warming up")
      fetch(new URL("/services/oauth2/token", baseUrl), {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: clientId,
          client_secret: Redacted.value(clientSecret)
        })
      })
        .then(async (answer) => {
          const grant = await answer.json() as { access_token: string; instance_url: string }
          issued++
          res.writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ token: grant.access_token, instance_url: grant.instance_url, ttl: 3600 }))
        })
        .catch(() => res.writeHead(502).end())
    })
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
      () => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
    )
    const { port } = server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}`, issued: () => issued }
  })
)

// ---------------------------------------------------------------------------
// The custom auth method: this is the part to copy
// ---------------------------------------------------------------------------

const ServiceToken = Schema.Struct({
  token: Schema.Redacted(Schema.String),
  instance_url: Schema.String,
  ttl: Schema.Number
})

const method = "TokenService"

const TokenServiceAuth = Layer.scoped(
  TokenProvider.TokenProvider,
  Effect.gen(function*() {
    const service = yield* TokenService
    // AuthHttp: the user's transport with Request/Response events, a timeout and no redirects.
    // Never the authenticated Salesforce client: that would ask this provider for a token.
    const http = yield* AuthHttp.make()
    return yield* TokenProvider.make({
      authMethod: method,
      acquire: Effect.gen(function*() {
        const response = yield* http.send(HttpClientRequest.get(`${service.url}/salesforce/token`), { method })
        // 5xx / 429 / 408: a TransportError, retried per the RetryPolicy (a `Retry` event each time)
        const transient = AuthHttp.transientStatus(response, method)
        if (Option.isSome(transient)) return yield* transient.value
        // a definite "no": never retried, remembered for the failure cool-down
        if (response.status !== 200) {
          return yield* new AuthError.AuthenticationError({
            method,
            code: `HTTP_${response.status}`,
            description: "the token service refused",
            status: response.status
          })
        }
        const body = yield* Schema.decodeUnknown(Schema.parseJson(ServiceToken))(response.body).pipe(
          Effect.mapError(() =>
            new AuthError.MalformedResponseError({ method, request: response.description, detail: "not a token" })
          )
        )
        // say when the token expires, and the provider refreshes it ahead of time
        return { accessToken: body.token, instanceUrl: body.instance_url, expiresIn: Duration.seconds(body.ttl) }
      })
      // refresh: (previous) => ...  // a different call to replace a token; defaults to `acquire`
    })
  })
)

// ---------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------

const program = Effect.gen(function*() {
  // print the token calls and token lifecycle as they happen
  const events = yield* (yield* SalesforceEvents.SalesforceEvents).stream
  yield* Effect.forkScoped(Stream.runForEach(
    Stream.filter(events, (e) => e._tag !== "ApiUsage" && (!("source" in e) || e.source === "auth")),
    (e) => Console.log(`  · ${SalesforceEvent.format(e)}`)
  ))

  const sf = yield* Salesforce.Salesforce
  const service = yield* TokenService
  const counts = yield* Effect.all(
    Array.from({ length: 20 }, () => Stream.runCount(sf.query("SELECT Id FROM Account"))),
    { concurrency: "unbounded" }
  )
  yield* Effect.sleep("20 millis") // let the event printer catch up
  yield* Console.log(`✔ 20 concurrent queries (${counts[0]} records each), ${service.issued()} token from the service`)

  const tokens = yield* TokenProvider.TokenProvider
  yield* tokens.refresh() // forced: calls the service again
  yield* Effect.sleep("20 millis")
  yield* Console.log(`✔ after a forced refresh: ${service.issued()} tokens from the service`)
})

const SalesforceLive = Salesforce.layer({ clientName: "effect-salesforce-examples" }).pipe(
  Layer.provideMerge(TokenServiceAuth),
  Layer.provideMerge(Layer.mergeAll(
    TokenServiceLive,
    SalesforceConfig.layerConfig(),
    SalesforceEvents.layer(),
    NodeHttpClient.layerUndici
  ))
)

export const main: Effect.Effect<void, unknown, Scope.Scope> = program.pipe(
  Effect.scoped,
  Effect.provide(SalesforceLive),
  withOrg("ClientCredentials")
)

runIfMain(import.meta.url, main)
