/** URL rules shared by configuration and token responses. @internal */
import * as Effect from "effect/Effect"

/** @internal */
export const isLoopback = (hostname: string): boolean => {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase()
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host)
}

/** @internal */
export const parseUrl = (input: string): URL | undefined => {
  try {
    return new URL(input)
  } catch {
    return undefined
  }
}

/**
 * An instance URL from a token response or a user: https (or http on loopback), no credentials,
 * normalised to its origin.
 * @internal
 */
export const checkInstanceUrl = (input: string): Effect.Effect<string, string> => {
  const url = parseUrl(input)
  if (url === undefined) return Effect.fail(`"${quoteUrl(input)}" is not a URL`)
  if (url.username !== "" || url.password !== "") return Effect.fail("a URL must not carry credentials")
  if (url.protocol === "https:") return Effect.succeed(url.origin)
  if (url.protocol === "http:" && isLoopback(url.hostname)) return Effect.succeed(url.origin)
  if (url.protocol === "http:") {
    return Effect.fail(`plain http is only allowed on loopback; ${url.hostname} needs https`)
  }
  return Effect.fail(`unsupported protocol ${url.protocol} in ${url.origin}`)
}

/** @internal */
export const truncate = (s: string, max = 80): string => (s.length > max ? `${s.slice(0, max)}…` : s)

/**
 * A user-typed URL safe to quote in an error: anything between `//` or the scheme and an `@`
 * (a `user:password@` part, even in a malformed URL) is replaced, then truncated.
 * @internal
 */
export const quoteUrl = (s: string, max = 80): string =>
  truncate(s.includes("@") ? s.replace(/^([a-z][a-z0-9+.-]*:?\/*)?.*@/i, "$1<credentials>@") : s, max)
