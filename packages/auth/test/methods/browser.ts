/** The test "browser" of the web-server flow, and a free loopback port. */
import * as Effect from "effect/Effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

/** A browser: opens the authorize URL and follows its redirect (to the receiver, or an error page). */
export const browse = (url: string) =>
  Effect.promise(async () => {
    const first = await fetch(url, { redirect: "manual" })
    await first.text()
    const location = first.headers.get("location")
    if (first.status !== 302 || location === null) return { status: first.status, location: undefined, page: "" }
    const second = await fetch(location, { redirect: "manual" })
    return { status: second.status, location, page: await second.text() }
  })

/** A free port on 127.0.0.1 (for a receiver on a port known before it starts). */
export const freePort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = Http.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
)

