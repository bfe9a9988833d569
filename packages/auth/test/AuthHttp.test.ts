import { NodeHttpClient } from "@effect/platform-node"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as AuthHttp from "@effect-salesforce/auth/AuthHttp"
import * as HttpExchange from "@effect-salesforce/auth/HttpExchange"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { recordEvents, withBus } from "./helpers.js"

/** A tiny loopback server: each test path answers differently. */
const server = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly server: Server }>((resume) => {
    const server = createServer((req, res) => {
      const path = req.url ?? "/"
      if (path.startsWith("/ok")) {
        res.writeHead(200, { "content-type": "application/json" }).end(`{"ok":true}`)
      } else if (path.startsWith("/busy")) {
        res.writeHead(503, { "retry-after": "2" }).end("busy")
      } else if (path.startsWith("/drop")) {
        res.writeHead(200, { "content-length": "100" })
        res.write("{\"partial\":")
        setTimeout(() => req.socket.destroy(), 5)
      } else if (path.startsWith("/redirect")) {
        res.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" }).end()
      }
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })))
  }),
  ({ server }) => Effect.async<void>((resume) => {
    server.closeAllConnections()
    server.close(() => resume(Effect.void))
  })
)

describe("AuthHttp over real HTTP", () => {
  it.scopedLive("sends, reads the body, and publishes Request/Response events without the query or body", () =>
    Effect.gen(function*() {
      const { url } = yield* server
      const { bus, taken } = yield* recordEvents
      const http = yield* withBus(bus, AuthHttp.make())
      const response = yield* http.send(
        HttpClientRequest.post(`${url}/ok?secret=shh`).pipe(
          HttpClientRequest.bodyUrlParams({ password: Redacted.value(Redacted.make("hunter2")) })
        ),
        { method: "Test" }
      )
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.body, `{"ok":true}`)
      const events = yield* taken
      assert.deepStrictEqual(events.map((e) => e._tag), ["Request", "Response"])
      for (const e of events) {
        assert.notInclude(JSON.stringify(e), "shh")
        assert.notInclude(JSON.stringify(e), "hunter2")
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("5xx with Retry-After becomes a retryable TransportError with the hint", () =>
    Effect.gen(function*() {
      const { url } = yield* server
      const { bus } = yield* recordEvents
      const http = yield* withBus(bus, AuthHttp.make())
      const response = yield* http.send(HttpClientRequest.post(`${url}/busy`), { method: "Test" })
      const error = AuthHttp.transientStatus(response, "Test")
      assert.isTrue(Option.isSome(error))
      const e = Option.getOrThrow(error)
      assert.strictEqual(e.retryAfterMillis, 2000)
      assert.isTrue(e.isRetryable)
      assert.include(e.message, "HTTP 503")
      assert.isTrue(Option.isNone(AuthHttp.transientStatus({ ...response, status: 400 }, "Test")))
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a connection dropped mid-response and a refused connection are TransportErrors", () =>
    Effect.gen(function*() {
      const { url } = yield* server
      const { bus } = yield* recordEvents
      const http = yield* withBus(bus, AuthHttp.make())
      const dropped = yield* Effect.flip(http.send(HttpClientRequest.post(`${url}/drop`), { method: "Test" }))
      assert.isTrue(dropped._tag === "TransportError" && dropped.reason === "Connection")
      const refused = yield* Effect.flip(http.send(HttpClientRequest.post("http://127.0.0.1:1/token"), { method: "Test" }))
      assert.isTrue(refused._tag === "TransportError" && refused.reason === "Connection")
      assert.include(refused.message, "POST http://127.0.0.1:1/token")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("redirects are not followed", () =>
    Effect.gen(function*() {
      const { url } = yield* server
      const { bus } = yield* recordEvents
      const http = yield* withBus(bus, AuthHttp.make())
      const response = yield* http.send(HttpClientRequest.post(`${url}/redirect`), { method: "Test" })
      assert.strictEqual(response.status, 302)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.effect("parseRetryAfter reads seconds and HTTP dates", () =>
    Effect.sync(() => {
      assert.strictEqual(HttpExchange.parseRetryAfter("3", 0), 3000)
      assert.strictEqual(HttpExchange.parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000)
      assert.isUndefined(HttpExchange.parseRetryAfter("soon", 0))
    }))
})
