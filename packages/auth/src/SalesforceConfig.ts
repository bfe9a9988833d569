/**
 * Where to log in and which API version to speak.
 *
 * `baseUrl` is the login host or the org's My Domain (`https://acme.my.salesforce.com`,
 * `https://acme--dev.sandbox.my.salesforce.com`, `https://login.salesforce.com`, ...). Every real
 * host shape is accepted; plain `http` only on loopback (for the emulator); a Lightning UI host
 * (`*.lightning.force.com`) is refused with a hint. Each refusal says what was wrong.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { InvalidConfigError } from "./AuthError.js"
import { isLoopback, parseTrustedHost, parseUrl, quoteUrl, truncate } from "./internal/url.js"

/**
 * @since 0.1.0
 * @category services
 */
export class SalesforceConfig extends Context.Tag("@effect-salesforce/auth/SalesforceConfig")<
  SalesforceConfig,
  SalesforceConfig.Service
>() {}

/**
 * @since 0.1.0
 */
export declare namespace SalesforceConfig {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The login / My Domain URL, normalised to its origin. */
    readonly baseUrl: URL
    /** The REST API version, normalised to `"64.0"` form. */
    readonly apiVersion: string
    /** Extra hosts an instance URL may point to (see {@link SalesforceConfig.Options}), lower-cased. */
    readonly trustedInstanceHosts?: ReadonlyArray<string> | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    readonly baseUrl: string | URL
    /** `64`, `"64.0"`, `"v64.0"`... Default {@link defaultApiVersion}. */
    readonly apiVersion?: string | number | undefined
    /** Accept a host that is not a known Salesforce host shape (a custom domain). Default `false`. */
    readonly allowCustomHost?: boolean | undefined
    /**
     * Hosts, besides Salesforce's own (`*.salesforce.com`, `*.salesforce.mil`,
     * `*.sfcrmproducts.cn`) and the login host, that a login answer's instance URL
     * (`instance_url`, SOAP `serverUrl`) may point to: your custom domains, as `sf.acme.com` or
     * `*.acme.com`. Any other instance URL is refused (`MalformedResponseError`) before a
     * token is sent anywhere. Default none.
     */
    readonly trustedInstanceHosts?: ReadonlyArray<string> | undefined
  }
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultApiVersion = "64.0"

const knownHost = [
  /^(login|test)\.salesforce\.com$/,
  // My Domain: production, sandbox, develop, scratch, demo, patch, trailblaze, free
  /^[a-z0-9-]+(\.(sandbox|develop|scratch|demo|patch|trailblaze|free))?\.my\.salesforce\.com$/,
  /^[a-z0-9-]+(\.(sandbox|develop|scratch|demo|patch|trailblaze|free))?\.my\.salesforce\.mil$/,
  /^[a-z0-9-]+(\.(sandbox|develop|scratch|demo|patch|trailblaze|free))?\.my\.sfcrmproducts\.cn$/
]

/**
 * Normalise an API version: `62`, `"62"`, `"v62.0"` and `"62.0"` all give `"62.0"`. Versions
 * before 31.0 are retired and refused.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseApiVersion = (input: string | number): Effect.Effect<string, InvalidConfigError> => {
  const text = String(input).trim()
  const match = /^v?(\d{2,3})(?:\.0)?$/i.exec(text)
  if (match === null) {
    return Effect.fail(
      new InvalidConfigError({
        field: "apiVersion",
        detail: `"${truncate(text, 20)}" is not an API version; use a form like 64.0, v64.0 or 64`
      })
    )
  }
  const major = Number(match[1])
  if (major < 31) {
    return Effect.fail(
      new InvalidConfigError({ field: "apiVersion", detail: `API version ${major}.0 is retired; use 31.0 or later` })
    )
  }
  return Effect.succeed(`${major}.0`)
}

/**
 * Check and normalise a base URL (see the module docs for the rules).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseBaseUrl = (
  input: string | URL,
  options: { readonly allowCustomHost?: boolean | undefined } = {}
): Effect.Effect<URL, InvalidConfigError> => {
  const fail = (detail: string) => Effect.fail(new InvalidConfigError({ field: "baseUrl", detail }))
  const url = typeof input === "string" ? parseUrl(input.trim()) : input
  if (url === undefined) return fail(`"${quoteUrl(String(input), 60)}" is not a URL; expected https://<MyDomain>.my.salesforce.com`)
  if (url.username !== "" || url.password !== "") return fail("the URL must not carry credentials")
  if (url.search !== "" || url.hash !== "" || (url.pathname !== "/" && url.pathname !== "")) {
    return fail(`expected a bare host such as https://${url.host}, without a path, query or fragment`)
  }
  const host = url.hostname.toLowerCase()
  if (isLoopback(host)) {
    return url.protocol === "http:" || url.protocol === "https:" ? Effect.succeed(new URL(url.origin)) : fail(`unsupported protocol ${url.protocol}`)
  }
  if (url.protocol === "http:") {
    return fail(`plain http is refused for ${host}: credentials would travel unencrypted; use https (http is allowed on loopback only)`)
  }
  if (url.protocol !== "https:") return fail(`unsupported protocol ${url.protocol}; use https`)
  if (host.endsWith(".lightning.force.com")) {
    const name = host.slice(0, -".lightning.force.com".length)
    return fail(
      `${host} is the Lightning UI host, not an API host; use https://${name}.my.salesforce.com (your My Domain)`
    )
  }
  if (!options.allowCustomHost && !knownHost.some((re) => re.test(host))) {
    return fail(
      `${host} is not a Salesforce login or My Domain host (expected login.salesforce.com, test.salesforce.com or <MyDomain>.my.salesforce.com); set allowCustomHost for a custom domain`
    )
  }
  return Effect.succeed(new URL(url.origin))
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: SalesforceConfig.Options): Effect.Effect<SalesforceConfig.Service, InvalidConfigError> =>
  Effect.all({
    baseUrl: parseBaseUrl(options.baseUrl, options),
    apiVersion: parseApiVersion(options.apiVersion ?? defaultApiVersion),
    trustedInstanceHosts: parseTrustedHosts(options.trustedInstanceHosts ?? [])
  })

/**
 * Check `trustedInstanceHosts`: each a host name (`sf.acme.com`) or `*.` and a domain.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseTrustedHosts = (
  input: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<string>, InvalidConfigError> =>
  Effect.forEach(input, (entry) => {
    const parsed = parseTrustedHost(entry)
    return "error" in parsed
      ? Effect.fail(new InvalidConfigError({ field: "trustedInstanceHosts", detail: parsed.error }))
      : Effect.succeed(parsed.host)
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: SalesforceConfig.Options): Layer.Layer<SalesforceConfig, InvalidConfigError> =>
  Layer.effect(SalesforceConfig, make(options))

/**
 * From configuration: `SALESFORCE_BASE_URL`, `SALESFORCE_API_VERSION` (optional) and
 * `SALESFORCE_TRUSTED_INSTANCE_HOSTS` (optional, comma-separated) by default.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (config: {
  readonly baseUrl?: Config.Config<string>
  readonly apiVersion?: Config.Config<string | undefined>
  readonly trustedInstanceHosts?: Config.Config<ReadonlyArray<string>>
} = {}): Layer.Layer<SalesforceConfig, InvalidConfigError | ConfigError.ConfigError> =>
  Layer.effect(
    SalesforceConfig,
    Effect.flatMap(
      Config.all({
        baseUrl: config.baseUrl ?? Config.string("SALESFORCE_BASE_URL"),
        apiVersion: config.apiVersion ?? Config.string("SALESFORCE_API_VERSION").pipe(Config.withDefault(undefined)),
        trustedInstanceHosts: config.trustedInstanceHosts ??
          Config.string("SALESFORCE_TRUSTED_INSTANCE_HOSTS").pipe(
            Config.map((list) => list.split(",").map((host) => host.trim()).filter((host) => host !== "")),
            Config.withDefault([])
          )
      }),
      make
    )
  )

/**
 * `true` for sandbox login hosts (`test.salesforce.com`, `*.sandbox.my.salesforce.com`,
 * `*.scratch.my.salesforce.com`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSandbox = (config: SalesforceConfig.Service): boolean =>
  config.baseUrl.hostname === "test.salesforce.com" ||
  config.baseUrl.hostname.includes(".sandbox.my.") ||
  config.baseUrl.hostname.includes(".scratch.my.")
