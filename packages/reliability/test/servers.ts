/**
 * Small hostile `node:http` servers on 127.0.0.1 for the reliability suite: each handler is
 * given the request and its body; helpers stream huge bodies with backpressure and count what
 * was written, so a test can tell that the client stopped reading early.
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { gzipSync } from "node:zlib"

/** What a streamed body did on the wire. */
export interface Streamed {
  /** Bytes handed to the socket. */
  written: number
  /** The whole body was written. */
  complete: boolean
  /** The client closed the connection before the body was complete. */
  closedEarly: boolean
}

export interface Received {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

export type Handler = (request: Received, res: ServerResponse) => void

/** A loopback server for the scope; `requests` logs what arrived. */
export const serve = (handler: Handler) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly requests: Array<Received>; readonly close: () => void }>((resume) => {
      const requests: Array<Received> = []
      const server = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const received = {
            method: req.method ?? "GET",
            path: req.url ?? "/",
            headers: req.headers,
            body: Buffer.concat(chunks).toString("utf8")
          }
          requests.push(received)
          handler(received, res)
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          requests,
          close: () => {
            server.closeAllConnections()
            server.close()
          }
        })))
    }),
    ({ close }) => Effect.sync(close)
  )

/** Write `total` bytes of `chunk` repeated, waiting for `drain` whenever the socket is full. */
export const streamBody = (res: ServerResponse, chunk: Buffer, total: number): Streamed => {
  const stats: Streamed = { written: 0, complete: false, closedEarly: false }
  res.on("close", () => {
    if (!stats.complete) stats.closedEarly = true
  })
  const pump = (): void => {
    while (stats.written < total) {
      if (res.destroyed) return
      const ok = res.write(chunk)
      stats.written += chunk.length
      if (!ok) {
        res.once("drain", pump)
        return
      }
    }
    stats.complete = true
    res.end()
  }
  pump()
  return stats
}

/** 64 KiB of JSON-looking text. */
export const textChunk = Buffer.from(`{"records":[${"\"aaaaaaaaaaaaaaa\",".repeat(4096)}`.slice(0, 64 * 1024))

/**
 * One gzip member of 16 MiB of zeros (about 16 KB compressed). A gzip body may be a sequence of
 * members, so repeating it makes a bomb of any size: 1,000 members are about 16 MB on the wire and
 * 16 GiB once inflated.
 */
export const gzipMember: Buffer = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 })

/** Wait (real time, up to 5 s) until the server has seen the connection end one way or the other. */
export const settled = (stats: ReadonlyArray<Streamed>) =>
  Effect.sync(() => stats.every((s) => s.closedEarly || s.complete)).pipe(
    Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (done) => done, times: 250 })
  )
