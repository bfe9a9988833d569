/**
 * The `hostile` group: what the library does to untrusted server text, on worst-case bodies of
 * 64 KB, 256 KB and 1 MB. For each parser and classifier it prints the processing time and the
 * longest event-loop stall seen by `perf_hooks.monitorEventLoopDelay` while it ran (the work is
 * synchronous, so the stall is the processing time plus the loop's own overhead).
 * Target: no stall over 50 ms at any size up to the 1 MB body limit. Run with `--expose-gc`
 * (as `npm run bench` does): garbage is collected before each round, so a collection left over
 * from the previous round is not counted as this one's stall.
 */
import { monitorEventLoopDelay } from "node:perf_hooks"
// the functions under measurement are internal: not part of the public API
import * as soap from "../packages/auth/src/internal/soap.js"
import * as errors from "../packages/client/src/internal/errors.js"
import * as json from "../packages/client/src/internal/json.js"

interface Row {
  readonly name: string
  readonly figure: string
  readonly target: string
  readonly met: boolean | undefined
}

const sizes = [64 * 1024, 256 * 1024, 1024 * 1024]
const label = (size: number) => (size >= 1024 * 1024 ? `${size / 1024 / 1024} MB` : `${size / 1024} KB`)

/** `unit` repeated to `size` characters, between `head` and `tail`. */
const fill = (size: number, unit: string, head = "", tail = "") =>
  head + unit.repeat(Math.max(0, Math.floor((size - head.length - tail.length) / unit.length))) + tail

const exchange = (text: string, contentType: string, status = 500): errors.Exchange => ({
  status,
  headers: { "content-type": contentType },
  text,
  description: "GET /services/data/v64.0/limits"
})

const envelope = (inner: (room: number) => string, size: number) => {
  const head = `<soapenv:Envelope xmlns:soapenv="${soap.envelopeNamespace}"><soapenv:Body>`
  const tail = `</soapenv:Body></soapenv:Envelope>`
  return head + inner(size - head.length - tail.length) + tail
}

/** Distinct attributes `b0="1" b1="1" …` filling `room` characters. */
const attributes = (room: number) => {
  const parts: Array<string> = []
  for (let i = 0, length = 0; length < room - 16; i++) {
    const attribute = `b${i}="1" `
    parts.push(attribute)
    length += attribute.length
  }
  return parts.join("")
}

/** Worst-case bodies, each a function of the size. */
const cases: ReadonlyArray<{ readonly name: string; readonly body: (size: number) => string; readonly run: (body: string) => unknown }> = [
  // REST error summaries (a body that is not Salesforce's JSON)
  { name: "REST summary: `<title` repeated", body: (n) => fill(n, "<title"), run: (b) => errors.fromExchange(exchange(b, "text/html")) },
  { name: "REST summary: `<` never closed", body: (n) => fill(n, "< "), run: (b) => errors.fromExchange(exchange(b, "text/html")) },
  { name: "REST summary: `<script` never closed", body: (n) => fill(n, "<script "), run: (b) => errors.fromExchange(exchange(b, "text/html")) },
  { name: "REST summary: whitespace runs", body: (n) => fill(n, " \t\n", "x", "x"), run: (b) => errors.fromExchange(exchange(b, "text/plain")) },
  // 401 classification: is a refresh worth it?
  {
    name: "401 classification: `password` without `expired`",
    body: (n) => `[{"errorCode":"INVALID_SESSION_ID","message":"${fill(n - 64, "password ")}"}]`,
    run: (b) => errors.isRefreshable401(errors.errorEntries(errors.parseJson(b)))
  },
  {
    name: "401 classification: `IP` without a restriction",
    body: (n) => `[{"errorCode":"INVALID_SESSION_ID","message":"${fill(n - 64, "IP ")}"}]`,
    run: (b) => errors.isRefreshable401(errors.errorEntries(errors.parseJson(b)))
  },
  // REST error mapping, and printing the error it keeps
  {
    name: "REST error: deeply nested duplicateResult, mapped and JSON.stringify'd",
    body: (n) => {
      const depth = Math.floor((n - 120) / 7)
      return `[{"errorCode":"DUPLICATES_DETECTED","message":"dup","duplicateResult":${'{"a":['.repeat(depth)}1${"]}".repeat(depth)}}]`
    },
    run: (b) => JSON.stringify(errors.fromExchange(exchange(b, "application/json", 400)))
  },
  {
    name: "REST error: an error array of tiny entries",
    body: (n) => `[${fill(n - 2, '{"errorCode":"X","message":"m"},')}{}]`,
    run: (b) => JSON.stringify(errors.fromExchange(exchange(b, "application/json", 400)))
  },
  // the client's one JSON parse (drops `__proto__` keys)
  {
    name: "JSON parse: `__proto__` keys everywhere",
    body: (n) => `[${fill(n - 2, '{"__proto__":{"x":1}},')}{}]`,
    run: (b) => json.parseJson(b)
  },
  {
    name: "JSON parse: plain record page (reference)",
    body: (n) => `[${fill(n - 2, '{"Id":"001000000000001AAA","Name":"Acme"},')}{}]`,
    run: (b) => json.parseJson(b)
  },
  // the SOAP login response parser
  {
    name: "SOAP parse: nested elements",
    body: (n) => envelope((room) => fill(room / 2, "<a>") + fill(room / 2, "</a>"), n),
    run: (b) => soap.parseResponse(b)
  },
  {
    name: "SOAP parse: nested namespace declarations",
    body: (n) => envelope((room) => fill(room * 0.8, '<a xmlns:p="u">') + fill(room * 0.2, "</a>"), n),
    run: (b) => soap.parseResponse(b)
  },
  {
    name: "SOAP parse: one element, many attributes",
    body: (n) => envelope((room) => `<a ${attributes(room - 6)}/>`, n),
    run: (b) => soap.parseResponse(b)
  },
  {
    name: "SOAP parse: many sibling elements",
    body: (n) => envelope((room) => fill(room, "<a/>"), n),
    run: (b) => soap.parseResponse(b)
  }
]

const histogram = monitorEventLoopDelay({ resolution: 1 })
const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 5))

/** Run `f` inside a timer callback; returns its time and the longest loop delay while it ran. */
const measure = async (f: () => unknown): Promise<{ readonly millis: number; readonly stall: number }> => {
  // collect the previous round's garbage first: its pause is not this round's stall
  ;(globalThis as { gc?: () => void }).gc?.()
  histogram.reset()
  histogram.enable()
  await turn()
  let millis = 0
  await new Promise<void>((resolve) =>
    setTimeout(() => {
      const start = performance.now()
      f()
      millis = performance.now() - start
      resolve()
    }, 1)
  )
  await turn()
  histogram.disable()
  return { millis, stall: histogram.max / 1e6 }
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/**
 * Runs every case at every size, five rounds each after a warm-up (10 runs on the 64 KB body,
 * so that the figures are the steady state, not the JIT compiling the code), and records a row
 * per case with the median round: the machine is shared, and one round's figure can include
 * another process's use of the CPU.
 */
export const hostile = async (record: (row: Row) => void): Promise<void> => {
  for (const c of cases) {
    const warm = c.body(sizes[0]!)
    for (let i = 0; i < 10; i++) c.run(warm)
    const figures: Array<string> = []
    let worst = 0
    for (const size of sizes) {
      const body = c.body(size)
      const rounds: Array<{ readonly millis: number; readonly stall: number }> = []
      for (let round = 0; round < 5; round++) rounds.push(await measure(() => c.run(body)))
      const millis = median(rounds.map((r) => r.millis))
      const stall = median(rounds.map((r) => r.stall))
      worst = Math.max(worst, stall)
      figures.push(`${label(size)}: ${millis.toFixed(1)} ms (stall ${stall.toFixed(0)} ms)`)
    }
    record({ name: c.name, figure: figures.join(", "), target: "no stall > 50 ms", met: worst <= 50 })
  }
}
