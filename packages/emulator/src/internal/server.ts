/**
 * The `node:http` server: reads each request, counts and logs it, applies injected
 * faults (status, delay, drop, malformed body), routes it and writes the answer.
 *
 * @internal
 */
import * as Http from "node:http"
import type { AddressInfo, Socket } from "node:net"
import type { Options } from "../Emulator.js"
import { CONTROL_PREFIX, handleControl } from "./control.js"
import type { ResolvedFault } from "./faults.js"
import { type EmuRequest, type EmuResponse, json } from "./http.js"
import type { MutableLoggedRequest } from "./metrics.js"
import { resolve } from "./options.js"
import { route } from "./router.js"
import { EmulatorState } from "./state.js"

const MAX_BODY = 20 * 1024 * 1024

/** A running emulator. @internal */
export interface RunningServer {
  readonly state: EmulatorState
  readonly close: () => Promise<void>
}

const readBody = (req: Http.IncomingMessage): Promise<string> =>
  new Promise((resolveBody, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) reject(new Error("body too large"))
      else chunks.push(chunk)
    })
    req.on("end", () => resolveBody(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

const write = (res: Http.ServerResponse, response: EmuResponse, entry?: MutableLoggedRequest) => {
  if (res.destroyed) return
  if (entry !== undefined) entry.status = response.status
  const body = Buffer.from(response.body, "utf8")
  res.writeHead(response.status, { ...response.headers, "content-length": String(body.length) })
  res.end(body)
}

const applyFault = (
  fault: ResolvedFault,
  res: Http.ServerResponse,
  entry: MutableLoggedRequest,
  handle: () => void
): void => {
  switch (fault._tag) {
    case "Status":
      return write(res, { status: fault.status, headers: fault.headers, body: fault.body }, entry)
    case "Delay": {
      const timer = setTimeout(handle, fault.millis)
      res.on("close", () => clearTimeout(timer))
      return
    }
    case "Drop": {
      if (!fault.midResponse) {
        res.socket?.destroy()
        return
      }
      const partial = "{\"totalSize\":2,\"done\":true,\"records\":[{\"attributes\":"
      res.writeHead(200, { "content-type": "application/json;charset=UTF-8", "content-length": String(partial.length * 4) })
      res.write(partial, () => res.socket?.destroy())
      return
    }
    case "Malformed":
      return write(res, { status: 200, headers: { "content-type": "application/json;charset=UTF-8" }, body: fault.body }, entry)
  }
}

/** Starts an emulator on 127.0.0.1. @internal */
export const startServer = async (options: Options): Promise<RunningServer> => {
  const state = new EmulatorState(resolve(options))
  const sockets = new Set<Socket>()

  const handler = async (req: Http.IncomingMessage, res: Http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    let body: string
    try {
      body = await readBody(req)
    } catch {
      res.destroy()
      return
    }
    const request: EmuRequest = {
      method: (req.method ?? "GET").toUpperCase(),
      url: req.url ?? "/",
      pathname: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body
    }
    if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(CONTROL_PREFIX + "/")) {
      return write(res, handleControl(state, request))
    }
    state.metrics.requestStarted()
    res.on("close", () => state.metrics.requestEnded())
    const entry: MutableLoggedRequest = {
      method: request.method,
      path: request.url,
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v ?? ""])
      ),
      body,
      receivedAt: state.now(),
      status: undefined
    }
    state.metrics.record(entry, url.pathname)
    const handle = () => {
      let response: EmuResponse
      try {
        response = route(state, request)
      } catch (error) {
        response = json(500, [{ message: `emulator bug: ${error instanceof Error ? error.message : String(error)}`, errorCode: "UNKNOWN_EXCEPTION" }])
      }
      write(res, response, entry)
    }
    const fault = state.faults.take(request.method, request.url)
    if (fault === undefined) handle()
    else applyFault(fault, res, entry, handle)
  }

  const server = Http.createServer((req, res) => {
    handler(req, res).catch(() => res.destroy())
  })
  server.keepAliveTimeout = 5_000
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject)
    server.listen(state.options.port, "127.0.0.1", () => {
      server.off("error", reject)
      resolveListen()
    })
  })
  const address = server.address() as AddressInfo
  state.baseUrl = `http://127.0.0.1:${address.port}`
  return {
    state,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose())
        for (const socket of sockets) socket.destroy()
        server.closeAllConnections()
      })
  }
}
