import { SalesforceConfig, SalesforceEvents, TokenProvider } from "@effect-salesforce/auth"
import { Salesforce } from "@effect-salesforce/client"
import { NodeHttpClient } from "@effect/platform-node"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

/** Answers every request under /services/data with a redirect to /elsewhere, and logs paths. */
const server = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly paths: Array<string>; readonly close: () => void }>((resume) => {
    const paths: Array<string> = []
    const s = createServer((req, res) => {
      paths.push(req.url ?? "/")
      if ((req.url ?? "").startsWith("/services/data")) res.writeHead(302, { location: "/elsewhere" }).end()
      else res.writeHead(200, { "content-type": "application/json" }).end("{}")
    })
    s.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
        paths,
        close: () => {
          s.closeAllConnections()
          s.close()
        }
      })))
  }),
  ({ close }) => Effect.sync(close)
)

describe("redirects", () => {
  for (const [name, transport] of [["undici", NodeHttpClient.layerUndici], ["fetch", FetchHttpClient.layer]] as const) {
    it.scopedLive(`a redirect is not followed, so the token goes nowhere else (${name})`, () =>
      Effect.gen(function*() {
        const { paths, url } = yield* server
        const layer = Salesforce.layer().pipe(
          Layer.provide(Layer.mergeAll(
            TokenProvider.layerStatic({ accessToken: Redacted.make("00Dredirect!token"), instanceUrl: url }),
            SalesforceConfig.layer({ baseUrl: url, apiVersion: "64.0" }),
            SalesforceEvents.layer,
            transport
          )),
          Layer.orDie
        )
        const error = yield* Effect.flip(Effect.flatMap(Salesforce.Salesforce, (sf) => sf.limits).pipe(Effect.provide(layer)))
        assert.strictEqual(error._tag, "SalesforceApiError")
        assert.deepStrictEqual(paths, ["/services/data/v64.0/limits"], "no request to /elsewhere")
      }))
  }
})
