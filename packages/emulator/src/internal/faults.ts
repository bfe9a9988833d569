/**
 * Injected faults: a queue of rules, each applying to the next N matching requests.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import type { Fault } from "../Emulator.js"

/** A fault as applied by the server. @internal */
export type ResolvedFault =
  | { readonly _tag: "Status"; readonly status: number; readonly body: string; readonly headers: Readonly<Record<string, string>> }
  | { readonly _tag: "Delay"; readonly millis: number }
  | { readonly _tag: "Drop"; readonly midResponse: boolean }
  | { readonly _tag: "Malformed"; readonly body: string }

interface Rule {
  readonly matches: (method: string, url: string) => boolean
  remaining: number
  readonly fault: ResolvedFault
}

const resolveKind = (kind: Fault["kind"]): ResolvedFault => {
  switch (kind._tag) {
    case "Status": {
      const isText = typeof kind.body === "string" || kind.body === undefined
      const headers: Record<string, string> = isText
        ? { "content-type": "text/plain;charset=UTF-8" }
        : { "content-type": "application/json;charset=UTF-8" }
      for (const [name, value] of Object.entries(kind.headers ?? {})) headers[name.toLowerCase()] = value
      return {
        _tag: "Status",
        status: kind.status,
        body: kind.body === undefined ? "" : isText ? kind.body as string : JSON.stringify(kind.body),
        headers
      }
    }
    case "Delay":
      return { _tag: "Delay", millis: Duration.toMillis(Duration.decode(kind.duration)) }
    case "Drop":
      return { _tag: "Drop", midResponse: kind.midResponse ?? false }
    case "Malformed":
      return { _tag: "Malformed", body: kind.body ?? "{\"totalSize\":1,\"done\":true,\"records\":[{\"attributes\":{\"ty" }
  }
}

/** @internal */
export class Faults {
  private rules: Array<Rule> = []

  add(fault: Fault): void {
    const { path } = fault
    const method = fault.method?.toUpperCase()
    const count = fault.count ?? 1
    if (!Number.isInteger(count) || count < 1) throw new Error(`Emulator: fault count ${count} is not a positive integer`)
    const matchesPath = typeof path === "string"
      ? (url: string) => url.startsWith(path)
      : (url: string) => {
        path.lastIndex = 0
        return path.test(url)
      }
    this.rules.push({
      matches: (m, url) => (method === undefined || method === m) && matchesPath(url),
      remaining: count,
      fault: resolveKind(fault.kind)
    })
  }

  /** The fault for this request, consuming one use of the first matching rule. */
  take(method: string, url: string): ResolvedFault | undefined {
    const rule = this.rules.find((r) => r.matches(method, url))
    if (rule === undefined) return undefined
    rule.remaining--
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule)
    return rule.fault
  }

  clear(): void {
    this.rules = []
  }

  get pending(): number {
    return this.rules.reduce((n, r) => n + r.remaining, 0)
  }
}
