/**
 * What an error keeps of a server body: bounded in size and depth, so that printing or
 * serialising the error (`JSON.stringify`, `util.inspect`, `Cause.pretty`) never throws and
 * never costs more than a few kilobytes, whatever the server sent (a 20,000-deep duplicate-rule
 * JSON made `JSON.stringify(error)` throw).
 * @internal
 */

/** @internal */
export interface Limits {
  /** Containers deeper than this become the string `"[…]"`. */
  readonly depth: number
  /** Values (of any kind) copied in all; the rest become `"[…]"` (in arrays: dropped after a marker). */
  readonly nodes: number
  /** Longer strings are cut, with `…`. */
  readonly string: number
}

/** @internal */
export const defaultLimits: Limits = { depth: 16, nodes: 2_000, string: 2_000 }

/** A string cut to `max` characters (with `…` when cut). @internal */
export const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text)

const elided = "[…]"

/**
 * A copy of a decoded JSON value within `limits`. Plain objects and arrays only (as JSON
 * gives), keys named `__proto__` are dropped, the copy is made of ordinary objects.
 * @internal
 */
export const boundedJson = (value: unknown, limits: Limits = defaultLimits): unknown => {
  let budget = limits.nodes
  const copy = (u: unknown, depth: number): unknown => {
    budget -= 1
    if (typeof u === "string") return clip(u, limits.string)
    if (u === null || typeof u !== "object") return typeof u === "function" || typeof u === "symbol" ? undefined : u
    if (depth >= limits.depth || budget <= 0) return elided
    if (Array.isArray(u)) {
      const out: Array<unknown> = []
      for (const item of u) {
        if (budget <= 0) {
          out.push(elided)
          break
        }
        out.push(copy(item, depth + 1))
      }
      return out
    }
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(u)) {
      if (key === "__proto__") continue
      if (budget <= 0) {
        out[elided] = elided
        break
      }
      out[clip(key, limits.string)] = copy((u as Record<string, unknown>)[key], depth + 1)
    }
    return out
  }
  return copy(value, 0)
}
