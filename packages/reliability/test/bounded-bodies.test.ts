/**
 * Bounded bodies (issue 10, item 2): every body the library reads, token endpoint and REST,
 * success and error, is read as a stream against a limit counted after decompression, and the
 * read stops at the limit. Hostile loopback servers send 256 MiB bodies and gzip bombs (62.5 GiB
 * inflated) with both transports; each test asserts the typed, non-retried error naming the
 * limit, and that the server saw the connection closed long before its body was written.
 */
import { ClientCredentials, RetryPolicy, SalesforceConfig, SalesforceEvents, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { NodeHttpClient } from "@effect/platform-node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { ServerResponse } from "node:http"
import { figure, seen, witness } from "./harness.js"
import { gzipMember, serve, settled, type Streamed, streamBody, textChunk } from "./servers.js"

const total = 256 * 1024 * 1024
/** 4,000 gzip members of 16 MiB of zeros: about 65 MB on the wire, 62.5 GiB inflated. */
const members = 4000
const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["undici", NodeHttpClient.layerUndici],
  ["fetch", FetchHttpClient.layer]
]

/** A server answering every request with `status` and an endless body (plain, or a gzip bomb). */
const hostile = (status: number, kind: "plain" | "gzip") => {
  const streams: Array<Streamed> = []
  const handler = (_: unknown, res: ServerResponse) => {
    if (kind === "gzip") {
      res.writeHead(status, { "content-type": "application/json", "content-encoding": "gzip" })
      streams.push(streamBody(res, gzipMember, members * gzipMember.length))
    } else {
      res.writeHead(status, { "content-type": "application/json" })
      streams.push(streamBody(res, textChunk, total))
    }
  }
  return Effect.map(serve(handler), (server) => ({ ...server, streams }))
}

/** The server wrote a small part of what it meant to, and saw the client hang up. */
const assertStoppedEarly = (streams: ReadonlyArray<Streamed>, planned: number) =>
  Effect.gen(function*() {
    yield* settled(streams)
    for (const s of streams) {
      assert.isTrue(s.closedEarly, "the client closed the connection before the body ended")
      assert.isFalse(s.complete)
      assert.isBelow(s.written, planned / 4, `only part of the body was written (${s.written} of ${planned} bytes)`)
    }
  })

describe("bounded bodies: the token endpoint", () => {
  for (const [name, transport] of transports) {
    for (const kind of ["plain", "gzip"] as const) {
      it.scopedLive(`${name}: a ${kind === "gzip" ? "gzip bomb" : "256 MiB body"} from the token endpoint is a MalformedResponseError naming the 1 MiB limit, not retried`, () =>
        Effect.gen(function*() {
          const server = yield* hostile(200, kind)
          const layer = ClientCredentials.layer({ clientId: "id", clientSecret: Redacted.make("client-secret-bounded") }).pipe(
            Layer.provide(Layer.mergeAll(
              SalesforceConfig.layer({ baseUrl: server.url }),
              SalesforceEvents.layer(),
              transport
            ))
          )
          const error = seen(yield* Effect.flip(Effect.flatMap(TokenProvider.TokenProvider, (p) => p.get).pipe(Effect.provide(layer))))
          assert.strictEqual(error._tag, "MalformedResponseError")
          assert.include(error.message, "larger than the limit of 1 MiB")
          assert.strictEqual(server.requests.length, 1, "not retried")
          yield* assertStoppedEarly(server.streams, kind === "gzip" ? members * gzipMember.length : total)
          figure(`bodies.auth.${name}.${kind}`, { written: server.streams[0]!.written })
        }))
    }
  }
})

describe("bounded bodies: REST", () => {
  const client = (url: string, transport: Layer.Layer<HttpClient.HttpClient>, maxResponseBytes?: number) =>
    Salesforce.layer(maxResponseBytes === undefined ? {} : { maxResponseBytes }).pipe(
      Layer.provide(Layer.mergeAll(
        TokenProvider.layerStatic({ accessToken: Redacted.make("static-access-token-bounded"), instanceUrl: url }),
        SalesforceConfig.layer({ baseUrl: url, apiVersion: "64.0" }),
        SalesforceEvents.layer(),
        transport
      )),
      Layer.orDie
    )

  for (const [name, transport] of transports) {
    for (const [status, kind] of [[200, "plain"], [500, "plain"], [200, "gzip"]] as const) {
      it.scopedLive(`${name}: HTTP ${status} with a ${kind === "gzip" ? "gzip bomb" : "256 MiB body"} is a ResponseTooLargeError naming maxResponseBytes, not retried`, () =>
        Effect.gen(function*() {
          const server = yield* hostile(status, kind)
          const limit = 4 * 1024 * 1024
          const error = seen(
            yield* Effect.flip(Effect.flatMap(Salesforce.Salesforce, (sf) => sf.limits).pipe(
              Effect.provide(client(server.url, transport, limit))
            ))
          )
          assert.strictEqual(error._tag, "ResponseTooLargeError")
          assert.include(error.message, `maxResponseBytes (${limit} bytes)`)
          assert.strictEqual(server.requests.length, 1, "not retried, even a 5xx")
          yield* assertStoppedEarly(server.streams, kind === "gzip" ? members * gzipMember.length : total)
          figure(`bodies.rest.${name}.${status}.${kind}`, { written: server.streams[0]!.written })
        }))
    }
  }

  it.scopedLive("a declared Content-Length over the limit fails before the body is read", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": String(total) })
        res.write(textChunk)
      })
      const error = yield* Effect.flip(Effect.flatMap(Salesforce.Salesforce, (sf) => sf.limits).pipe(
        Effect.provide(client(server.url, NodeHttpClient.layerUndici, 1024 * 1024)),
        Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.none)
      ))
      assert.strictEqual(error._tag, "ResponseTooLargeError")
    }))

  it.scopedLive("a body within the limit is read whole", () =>
    Effect.gen(function*() {
      const limits = JSON.stringify({ DailyApiRequests: { Max: 15000, Remaining: 14999 }, Padding: { Max: 1, Remaining: 1, text: "x".repeat(900_000) } })
      const server = yield* serve((_, res) => res.writeHead(200, { "content-type": "application/json" }).end(limits))
      const result = yield* Effect.flatMap(Salesforce.Salesforce, (sf) => sf.limits).pipe(
        Effect.provide(client(server.url, NodeHttpClient.layerUndici, 1024 * 1024))
      )
      assert.strictEqual(result.DailyApiRequests!.Remaining, 14999)
    }))
})

describe("bounded bodies: secrets", () => {
  it.effect("no secret in the errors of this file", () =>
    Effect.gen(function*() {
      witness.addSecret("client secret", "client-secret-bounded")
      witness.addSecret("access token", "static-access-token-bounded")
      const summary = yield* witness.assertClean
      assert.isAbove(summary.error ?? 0, 0, "errors were scanned")
    }))
})
