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
 * The hosts Salesforce serves orgs from: the domain itself or any subdomain of one of these.
 * `salesforce.com` covers My Domain (`<name>.my.salesforce.com`, and its `sandbox`, `develop`,
 * `scratch`, `demo`, `patch`, `trailblaze`, `free` shapes), the login hosts and legacy instances
 * (`na1.salesforce.com`); `salesforce.mil` is Government Cloud (`<name>.my.salesforce.mil`);
 * `sfcrmproducts.cn` is the China cloud (`<name>.my.sfcrmproducts.cn`). Deliberately not here:
 * `force.com` and `site.com`, where Lightning pages, Sites and Experience Cloud serve content
 * that orgs write (never an instance URL); name such a host in `trustedInstanceHosts` if needed.
 * @internal
 */
export const salesforceHostSuffixes: ReadonlyArray<string> = ["salesforce.com", "salesforce.mil", "sfcrmproducts.cn"]

/** `host` is `domain` or one of its subdomains (a label boundary, not a plain suffix). */
const within = (host: string, domain: string): boolean => host === domain || host.endsWith(`.${domain}`)

/** Is `host` one of Salesforce's (see {@link salesforceHostSuffixes})? @internal */
export const isSalesforceHost = (host: string): boolean => salesforceHostSuffixes.some((d) => within(host.toLowerCase(), d))

/**
 * Does `host` match one of the user's trusted hosts: `sf.acme.com` exactly, `*.acme.com` any
 * subdomain of `acme.com`?
 * @internal
 */
export const isTrustedHost = (host: string, trusted: ReadonlyArray<string>): boolean => {
  const name = host.toLowerCase()
  return trusted.some((entry) => (entry.startsWith("*.") ? name.endsWith(entry.slice(1)) : name === entry))
}

/**
 * Check one entry of `trustedInstanceHosts`: a bare host name (`sf.acme.com`) or `*.` and a
 * domain (`*.acme.com`). Returns it lower-cased, or why it is not one.
 * @internal
 */
export const parseTrustedHost = (input: string): { readonly host: string } | { readonly error: string } => {
  const entry = input.trim().toLowerCase()
  const name = entry.startsWith("*.") ? entry.slice(2) : entry
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(name) || name.length > 253) {
    return { error: `"${truncate(input, 60)}" is not a host name; expected a form like sf.acme.com or *.acme.com (no scheme, port or path)` }
  }
  return { host: entry }
}

/**
 * Where an instance URL may point, for the provider that checks it: the login (base) URL and
 * the user's extra trusted hosts.
 * @internal
 */
export interface InstanceTrust {
  /** The login / My Domain URL the token was obtained from; unknown for a custom provider without `SalesforceConfig`. */
  readonly loginUrl: URL | undefined
  readonly trustedHosts: ReadonlyArray<string>
}

/**
 * An instance URL: no credentials, normalised to its origin. With `trust` (a URL a server
 * answered, in `instance_url` or `serverUrl`), it must also be on the login host's own
 * origin, on a Salesforce host ({@link salesforceHostSuffixes}) or on a trusted host, over
 * https; loopback (http or https) only when the login host is itself loopback. This is the one
 * place that decides where a bearer token may go.
 * @internal
 */
export const checkInstanceUrl = (input: string, trust?: InstanceTrust): Effect.Effect<string, string> => {
  const url = parseUrl(input)
  if (url === undefined) return Effect.fail(`"${quoteUrl(input)}" is not a URL`)
  if (url.username !== "" || url.password !== "") return Effect.fail("a URL must not carry credentials")
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return Effect.fail(`unsupported protocol ${url.protocol} in ${truncate(url.origin)}`)
  }
  const host = url.hostname.toLowerCase()
  if (trust === undefined) {
    if (url.protocol === "http:" && !isLoopback(host)) {
      return Effect.fail(`plain http is only allowed on loopback; ${truncate(host)} needs https`)
    }
    return Effect.succeed(url.origin)
  }
  const login = trust.loginUrl
  if (login !== undefined && url.origin === login.origin) return Effect.succeed(url.origin)
  if (isLoopback(host)) {
    return login !== undefined && isLoopback(login.hostname)
      ? Effect.succeed(url.origin)
      : Effect.fail(
        `${truncate(url.origin)} is on loopback, accepted only after a login on loopback${
          login === undefined ? "" : ` (the login host is ${login.host})`
        }`
      )
  }
  if (url.protocol === "http:") return Effect.fail(`plain http is only allowed on loopback; ${truncate(host)} needs https`)
  if (isSalesforceHost(host) || isTrustedHost(host, trust.trustedHosts)) return Effect.succeed(url.origin)
  return Effect.fail(
    `${truncate(host)} is not a Salesforce host (${salesforceHostSuffixes.map((d) => `*.${d}`).join(", ")})${
      login === undefined ? "" : ` nor the login host ${login.host}`
    }; the access token is never sent there (name a custom domain in SalesforceConfig's trustedInstanceHosts)`
  )
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

/** Origin and path only, for messages and events: a query string could carry a secret. @internal */
export const describeUrl = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return "<invalid URL>"
  }
}
