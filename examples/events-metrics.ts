/**
 * The event bus as a logging and metrics source: every token call, client request, retry,
 * token refresh and `Sforce-Limit-Info` reading is an event on `SalesforceEvents`. One fiber
 * logs them with `SalesforceEvent.format` and turns them into Effect `Metric`s: a gauge of the
 * org's API usage, counters of requests, retries and token refreshes, a histogram of response
 * times. A summary is printed at the end.
 *
 *   npx tsx examples/events-metrics.ts
 *
 * Against a real org: SALESFORCE_BASE_URL, SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET
 * (client credentials). Without SALESFORCE_BASE_URL it runs against an embedded emulator, which
 * is also made to answer one 503 and to expire every session, so that a retry and a refresh show.
 *
 * Any Effect metrics backend (Prometheus, OpenTelemetry) reads these metrics as they are.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { ClientCredentials, SalesforceEvent, SalesforceEvents } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { Emulator } from "@effect-salesforce/emulator"
import { Console, Effect, Layer, Logger, Metric, MetricBoundaries, Option, Queue, type Scope, Stream } from "effect"
import { runIfMain } from "./internal/main.js"
import { withOrg } from "./internal/org.js"

// ---------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------

const apiUsed = Metric.gauge("salesforce_api_requests_used", { description: "Daily API requests used (Sforce-Limit-Info)" })
const apiLimit = Metric.gauge("salesforce_api_requests_limit", { description: "Daily API request limit" })
const requests = Metric.counter("salesforce_http_requests_total", { incremental: true })
const retries = Metric.counter("salesforce_retries_total", { incremental: true })
const tokenEvents = Metric.counter("salesforce_token_events_total", { incremental: true })
const responseMillis = Metric.histogram(
  "salesforce_http_response_ms",
  MetricBoundaries.exponential({ start: 1, factor: 2, count: 12 })
)

/** One event: a log line and its metrics. */
const record = (event: SalesforceEvent.SalesforceEvent): Effect.Effect<void> => {
  const line = SalesforceEvent.format(event)
  switch (event._tag) {
    case "Request":
      return Effect.logDebug(line) // below the default minimum level: not printed
    case "Response":
      return Effect.all([
        Effect.logInfo(line),
        Metric.increment(Metric.tagged(requests, "source", event.source)),
        Metric.update(Metric.tagged(responseMillis, "source", event.source), event.durationMillis)
      ], { discard: true })
    case "Retry":
      return Effect.zipRight(Effect.logWarning(line), Metric.increment(Metric.tagged(retries, "source", event.source)))
    case "ApiUsage":
      return Effect.all([Metric.set(apiUsed, event.used), Metric.set(apiLimit, event.limit)], { discard: true })
    case "TokenAcquired":
      return Effect.zipRight(Effect.logInfo(line), Metric.increment(Metric.tagged(tokenEvents, "kind", "acquired")))
    case "TokenRefreshed":
      return Effect.zipRight(
        Effect.logInfo(line),
        Metric.increment(Metric.tagged(tokenEvents, "kind", `refreshed (${event.trigger})`))
      )
    case "TokenFailed":
      return Effect.zipRight(Effect.logError(line), Metric.increment(Metric.tagged(tokenEvents, "kind", "failed")))
    case "RefreshTokenRotated":
      return Effect.logInfo(line)
    case "TokenStoreUnavailable": // a shared token store (Redis) could not be reached
      return Effect.zipRight(Effect.logWarning(line), Metric.increment(Metric.tagged(tokenEvents, "kind", "store unavailable")))
    case "EventsDropped": // this subscriber fell behind the bus's capacity
      return Effect.logWarning(line)
  }
}

const summary = Effect.gen(function*() {
  const used = yield* Metric.value(apiUsed)
  const limit = yield* Metric.value(apiLimit)
  const count = (metric: Metric.Metric.Counter<number>, key: string, value: string) =>
    Effect.map(Metric.value(Metric.tagged(metric, key, value)), (state) => state.count)
  const client = yield* Metric.value(Metric.tagged(responseMillis, "source", "client"))
  yield* Console.log([
    "",
    "── summary ─────────────────────────────────────",
    `API usage                ${used.value}/${limit.value} (${((100 * used.value) / Math.max(limit.value, 1)).toFixed(2)} %)`,
    `HTTP responses           client ${yield* count(requests, "source", "client")}, auth ${yield* count(requests, "source", "auth")}`,
    `client response time     avg ${(client.sum / Math.max(client.count, 1)).toFixed(1)} ms, max ${client.max} ms`,
    `retries                  client ${yield* count(retries, "source", "client")}, auth ${yield* count(retries, "source", "auth")}`,
    `tokens                   acquired ${yield* count(tokenEvents, "kind", "acquired")}, refreshed after a 401 ${yield* count(tokenEvents, "kind", "refreshed (rejected)")}, failed ${yield* count(tokenEvents, "kind", "failed")}`
  ].join("\n"))
})

// ---------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------

const program = Effect.gen(function*() {
  // subscribe before the first request: no event published afterwards is missed
  const bus = yield* SalesforceEvents.SalesforceEvents
  const events = yield* bus.subscribe
  yield* Effect.forkScoped(Stream.runForEach(Stream.fromQueue(events), record))

  const sf = yield* Salesforce.Salesforce
  const emulator = yield* Effect.serviceOption(Emulator.Emulator)

  yield* Effect.all(Array.from({ length: 5 }, () => Stream.runDrain(sf.query("SELECT Id, Name FROM Account"))), {
    concurrency: 5
  })
  if (Option.isSome(emulator)) {
    const { control } = emulator.value
    yield* control.injectFault({ path: "/services/data", kind: { _tag: "Status", status: 503 } }) // retried
    yield* Stream.runDrain(sf.query("SELECT Id FROM Account"))
    yield* control.expireAllSessions // the next request meets a 401: one refresh, one resend
  }
  const limits = yield* sf.limits
  yield* Console.log(`/limits says DailyApiRequests: ${JSON.stringify(limits["DailyApiRequests"])}`)

  // let the subscriber handle what is still queued, then print the summary
  while ((yield* Queue.size(events)) > 0) yield* Effect.sleep("5 millis")
  yield* Effect.sleep("10 millis")
  yield* summary
})

const SalesforceLive = Salesforce.layerWith(ClientCredentials.layerConfig(), { clientName: "effect-salesforce-examples" }).pipe(
  Layer.provide(NodeHttpClient.layerUndici)
)

export const main: Effect.Effect<void, unknown, Scope.Scope> = program.pipe(
  Effect.scoped,
  Effect.provide(Layer.merge(SalesforceLive, Logger.pretty)),
  withOrg("ClientCredentials")
)

runIfMain(import.meta.url, main)
