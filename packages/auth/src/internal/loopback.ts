/**
 * The loopback redirect receiver: a `node:http` listener on 127.0.0.1 that serves one OAuth
 * callback and hands its query (`code` and `state`, or `error`) to whoever awaits it.
 *
 * Bounded: GET on one path only, no body is ever read, headers limited to 8 KiB, at most a few
 * connections, each request answered at once and its connection closed; the page never echoes
 * the code, and the answer carries `Referrer-Policy: no-referrer` so the URL (with the code)
 * goes nowhere else.
 * @internal
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"

/** What the browser brought back. @internal */
export type Outcome =
  | { readonly _tag: "Code"; readonly code: Redacted.Redacted<string>; readonly state: string | undefined }
  | {
    readonly _tag: "Error"
    readonly error: string
    readonly description: string
    readonly state: string | undefined
  }

/** Why the receiver could not start or did not get a callback. @internal */
export type Failure =
  | { readonly _tag: "ListenFailed"; readonly port: number; readonly code: string | undefined }
  | { readonly _tag: "Timeout"; readonly timeout: Duration.Duration }

/** @internal */
export interface Options {
  readonly port: number
  readonly path: string
  readonly timeout: Duration.Duration
}

/** @internal */
export interface Receiver {
  readonly port: number
  /** Waits for the callback (at most `timeout` from when it is first awaited). */
  readonly outcome: Effect.Effect<Outcome, Failure>
}

/** Server text (an `error` parameter) is bounded and stripped of control characters. @internal */
export const clean = (text: string | null, max: number): string =>
  // eslint-disable-next-line no-control-regex
  (text ?? "").slice(0, max).replace(/[\u0000-\u001f\u007f]/g, " ")

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

const page = (title: string, text: string): string =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
  `<body style="font-family:sans-serif;margin:3em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`

const answer = (res: Http.ServerResponse, status: number, title: string, text: string): void => {
  const body = Buffer.from(page(title, text), "utf8")
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": String(body.length),
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    connection: "close"
  })
  res.end(body)
}

/** Start the receiver in the scope; it stops (dropping open connections) when the scope closes. @internal */
export const make = (options: Options): Effect.Effect<Receiver, Failure, Scope.Scope> =>
  Effect.gen(function*() {
    const deferred = yield* Deferred.make<Outcome>()
    let settled = false
    const handle = (req: Http.IncomingMessage, res: Http.ServerResponse): void => {
      // never read a body: answer, and the connection closes
      req.on("error", () => undefined)
      if (req.method !== "GET") return answer(res, 405, "Method not allowed", "Only the OAuth redirect is served here.")
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      if (url.pathname !== options.path) return answer(res, 404, "Not found", "Only the OAuth redirect is served here.")
      if (settled) return answer(res, 409, "Already handled", "This sign-in was already handled; you can close this tab.")
      const state = url.searchParams.get("state") ?? undefined
      const error = url.searchParams.get("error")
      const code = url.searchParams.get("code")
      if (error !== null) {
        settled = true
        const outcome: Outcome = {
          _tag: "Error",
          error: clean(error, 100),
          description: clean(url.searchParams.get("error_description"), 300),
          state: state === undefined ? undefined : clean(state, 200)
        }
        answer(res, 200, "Sign-in not completed", `Salesforce answered ${outcome.error}. You can close this tab and return to the terminal.`)
        Deferred.unsafeDone(deferred, Exit.succeed(outcome))
        return
      }
      if (code === null || code === "") {
        return answer(res, 400, "No authorization code", "This request carries neither a code nor an error.")
      }
      settled = true
      answer(res, 200, "Signed in", "Authorization received. You can close this tab and return to the terminal.")
      Deferred.unsafeDone(deferred, Exit.succeed({ _tag: "Code", code: Redacted.make(code), state }))
    }

    const server = yield* Effect.acquireRelease(
      Effect.async<Http.Server, Failure>((resume) => {
        const server = Http.createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 10_000 }, handle)
        server.maxConnections = 8
        server.keepAliveTimeout = 1_000
        const onError = (error: NodeJS.ErrnoException) =>
          resume(Effect.fail({ _tag: "ListenFailed", port: options.port, code: error.code }))
        server.once("error", onError)
        server.listen(options.port, "127.0.0.1", () => {
          server.off("error", onError)
          server.on("error", () => undefined)
          resume(Effect.succeed(server))
        })
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    )
    const port = (server.address() as AddressInfo).port
    return {
      port,
      outcome: Deferred.await(deferred).pipe(
        Effect.timeoutFail({ duration: options.timeout, onTimeout: (): Failure => ({ _tag: "Timeout", timeout: options.timeout }) })
      )
    }
  })
