/**
 * A tiny in-memory `Tracer` for examples/tracing.ts: it records every span (name, parent,
 * start, end, attributes, outcome) and renders them as an indented tree. It stands in for a
 * real exporter; `@effect/opentelemetry` plugs in at the same place.
 */
import { Cause, type Context, type Exit, Option, Tracer } from "effect"

export class RecordedSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly sampled = true
  readonly traceId: string
  readonly attributes = new Map<string, unknown>()
  readonly links: Array<Tracer.SpanLink>
  readonly events: Array<string> = []
  status: Tracer.SpanStatus

  constructor(
    readonly name: string,
    readonly spanId: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    startTime: bigint,
    readonly kind: Tracer.SpanKind
  ) {
    this.traceId = Option.match(parent, { onNone: () => `trace-${spanId}`, onSome: (p) => p.traceId })
    this.links = [...links]
    this.status = { _tag: "Started", startTime }
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
  }
  attribute(key: string, value: unknown): void {
    this.attributes.set(key, value)
  }
  event(name: string): void {
    this.events.push(name)
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links.push(...links)
  }
}

export const makeRecordingTracer = () => {
  const spans: Array<RecordedSpan> = []
  let next = 0
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const span = new RecordedSpan(name, `span-${++next}`, parent, context, links, startTime, kind)
      spans.push(span)
      return span
    },
    context: (f) => f()
  })
  return { tracer, spans }
}

const outcome = (span: RecordedSpan): string => {
  if (span.status._tag === "Started") return "  (still running)"
  const exit = span.status.exit
  if (exit._tag === "Success") return ""
  if (Cause.isInterruptedOnly(exit.cause)) return "  ✘ interrupted"
  const failure = Cause.squash(exit.cause)
  const tag = typeof failure === "object" && failure !== null && "_tag" in failure ? String(failure._tag) : "error"
  return `  ✘ ${tag}`
}

const duration = (span: RecordedSpan): string =>
  span.status._tag === "Ended"
    ? `${(Number(span.status.endTime - span.status.startTime) / 1e6).toFixed(1)} ms`
    : "…"

/** Attributes left out of the printout, to keep it short (an exporter would keep them). */
const hidden = ["code.", "http.request.header.", "http.response.header.", "server.", "url.full", "url.scheme", "url.query"]

/** The spans as trees, children under their parent in start order, with their attributes. */
export const renderTree = (spans: ReadonlyArray<RecordedSpan>): string => {
  const ids = new Set(spans.map((s) => s.spanId))
  const children = new Map<string | undefined, Array<RecordedSpan>>()
  for (const span of spans) {
    const parentId = Option.match(span.parent, { onNone: () => undefined, onSome: (p) => p.spanId })
    const key = parentId !== undefined && ids.has(parentId) ? parentId : undefined
    children.set(key, [...(children.get(key) ?? []), span])
  }
  const lines: Array<string> = []
  const walk = (parentId: string | undefined, depth: number) => {
    const list = [...(children.get(parentId) ?? [])].sort((a, b) =>
      a.status.startTime < b.status.startTime ? -1 : a.status.startTime > b.status.startTime ? 1 : 0
    )
    for (const span of list) {
      const attributes = [...span.attributes]
        .filter(([key]) => !hidden.some((prefix) => key.startsWith(prefix)))
        .map(([key, value]) => `${key}=${String(value)}`)
        .join(" ")
      const label = `${"  ".repeat(depth)}${span.name}`
      lines.push(`${label.padEnd(44)} ${duration(span).padStart(9)}${outcome(span)}${attributes ? `  ${attributes}` : ""}`)
      walk(span.spanId, depth + 1)
    }
  }
  walk(undefined, 0)
  return lines.join("\n")
}
