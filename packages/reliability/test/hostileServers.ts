/**
 * Helpers for the hostile-server tests: small `node:http` servers on 127.0.0.1 that count what
 * reached them, and a transport that resolves chosen host names to them (a test's stand-in for
 * DNS), so a login on `https://acme.my.salesforce.com` and an "evil" host can both be real
 * servers on loopback.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/** A request as a hostile server saw it. */
export interface Seen {
  readonly method: string
  readonly url: string
  readonly host: string
  readonly authorization: string | undefined
  readonly body: string
}

export interface Answer {
  readonly status: number
  readonly body: string
  readonly headers?: Readonly<Record<string, string>>
}

/** A server on 127.0.0.1 for the scope; `answer` decides each response; `seen` lists every request. */
export const hostileServer = (
  answer: (request: Seen) => Answer
): Effect.Effect<{ readonly url: string; readonly port: number; readonly seen: ReadonlyArray<Seen> }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const seen: Array<Seen> = []
    const handle = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const request: Seen = {
          method: req.method ?? "GET",
          url: req.url ?? "/",
          host: req.headers.host ?? "",
          authorization: req.headers.authorization,
          body: Buffer.concat(chunks).toString("utf8")
        }
        seen.push(request)
        const reply = answer(request)
        res.writeHead(reply.status, { "content-type": "application/json;charset=UTF-8", ...reply.headers }).end(reply.body)
      })
    }
    const server = createServer(handle)
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
      () =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}`, port, seen }
  })

/**
 * undici, with the host names in `routes` resolved to loopback servers: a request to
 * `https://acme.my.salesforce.com/x` goes to `${routes["acme.my.salesforce.com"]}/x`. Every
 * other URL is sent as is.
 */
export const routedTransport = (routes: Readonly<Record<string, string>>): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.mapRequest(client, (request) => {
        const url = new URL(request.url)
        const target = routes[url.hostname]
        return target === undefined ? request : HttpClientRequest.setUrl(request, `${target}${url.pathname}${url.search}`)
      }))
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))

/** A SOAP `login()` answer with these values (already XML-safe). */
export const soapLoginAnswer = (options: { readonly sessionId: string; readonly serverUrl: string; readonly sessionSecondsValid?: string }) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>` +
  `<passwordExpired>false</passwordExpired><serverUrl>${options.serverUrl}</serverUrl><sessionId>${options.sessionId}</sessionId>` +
  `<userInfo><sessionSecondsValid>${options.sessionSecondsValid ?? "7200"}</sessionSecondsValid></userInfo>` +
  `</result></loginResponse></soapenv:Body></soapenv:Envelope>`
