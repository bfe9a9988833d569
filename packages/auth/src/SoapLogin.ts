/**
 * SOAP `login()` with a username, a password and (outside trusted IP ranges) the user's
 * security token: the legacy way to log in, with no connected app.
 *
 * **Being retired.** Salesforce removed `login()` from API 65.0 on, disables it by default in
 * orgs created from Winter '26, and retires it in Summer '27. The login endpoint's version is
 * therefore pinned (`soapApiVersion`, default `"64.0"`, at most 64.0), whatever the REST
 * `apiVersion` of `SalesforceConfig` is. Prefer `ClientCredentials` or `JwtBearer` for new work.
 *
 * The envelope escapes all five XML entities (a password such as `p&ss<w>rd"'` logs in), the
 * response is read with a strict XML parser, the instance URL is the scheme and host of
 * `serverUrl`, and the token's expiry is `sessionSecondsValid` after it was received. A
 * `passwordExpired` answer is an `AuthenticationError` (code `PASSWORD_EXPIRED`): the
 * restricted session it carries is never cached.
 *
 * @example
 * ```ts
 * import { SoapLogin } from "@effect-salesforce/auth"
 * import { Redacted } from "effect"
 *
 * const Auth = SoapLogin.layer({
 *   username: "integration@acme.com",
 *   password: Redacted.make("p&ss<w>rd"),
 *   securityToken: Redacted.make("AbCdEf123")
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { AuthenticationError, InvalidConfigError, MalformedResponseError, TransportError } from "./AuthError.js"
import * as AuthHttp from "./AuthHttp.js"
import * as method from "./internal/method.js"
import * as soap from "./internal/soap.js"
import { parseApiVersion, SalesforceConfig } from "./SalesforceConfig.js"
import type { SalesforceEvents } from "./SalesforceEvents.js"
import * as TokenProvider from "./TokenProvider.js"

/**
 * The provider name in events and errors.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "SoapLogin"

/**
 * The default (and highest) API version of the login endpoint.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSoapApiVersion = "64.0"

/** SOAP faults that say "try again later" rather than "no": retried, never remembered. */
const transientFaults: ReadonlySet<string> = new Set(["SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION"])

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends method.CommonOptions {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  /** Appended to the password; omit it (or leave it empty) when logging in from a trusted IP range. */
  readonly securityToken?: Redacted.Redacted<string> | undefined
  /** The version in `/services/Soap/u/<version>`: 64.0 or earlier. Default {@link defaultSoapApiVersion}. */
  readonly soapApiVersion?: string | number | undefined
  /** Sent as `CallOptions/client`, naming the client in Salesforce's logs. */
  readonly clientName?: string | undefined
}

const checkXml = (field: string, value: string): Effect.Effect<void, InvalidConfigError> =>
  soap.hasInvalidXmlChar(value)
    ? Effect.fail(
      new InvalidConfigError({
        field,
        detail: "contains a control character (other than tab, CR or LF) or a non-character that XML 1.0 cannot carry, so SOAP login cannot send it"
      })
    )
    : Effect.void

const checkVersion = (input: string | number): Effect.Effect<string, InvalidConfigError> =>
  parseApiVersion(input).pipe(
    Effect.mapError((e) => new InvalidConfigError({ field: "soapApiVersion", detail: e.detail })),
    Effect.filterOrFail(
      (version) => Number.parseFloat(version) <= 64,
      (version) =>
        new InvalidConfigError({
          field: "soapApiVersion",
          detail: `SOAP login() is not available in API ${version} (removed from 65.0); use 64.0 or earlier, or move to ClientCredentials or JwtBearer`
        })
    )
  )

/** Remove any echo of a secret from text that came back from the server. */
const scrub = (text: string, secrets: ReadonlyArray<string>): string =>
  secrets.reduce((t, s) => (s.length >= 4 ? t.split(s).join("<redacted>") : t), text)

/**
 * Build a `TokenProvider` that logs in with SOAP `login()`. Fails with `InvalidConfigError`
 * (before any request) on an empty username or password, a character XML cannot carry, or a
 * login endpoint version above 64.0.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<
  TokenProvider.TokenProvider.Service,
  InvalidConfigError,
  Scope.Scope | SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
> =>
  Effect.gen(function*() {
    const config = yield* SalesforceConfig
    const version = yield* checkVersion(options.soapApiVersion ?? defaultSoapApiVersion)
    const username = yield* method.requireText("username", options.username)
    const password = yield* method.requireSecret("password", options.password)
    yield* checkXml("username", username)
    yield* checkXml("password", Redacted.value(password))
    // an empty token (a blank SALESFORCE_SECURITY_TOKEN) means none: trusted IP ranges need none
    const securityToken = options.securityToken === undefined || Redacted.isRedacted(options.securityToken) &&
        Redacted.value(options.securityToken) === ""
      ? ""
      : Redacted.value(yield* method.requireSecret("securityToken", options.securityToken))
    yield* checkXml("securityToken", securityToken)
    if (options.clientName !== undefined) yield* checkXml("clientName", options.clientName)
    const secret = Redacted.value(password) + securityToken
    const secrets = [Redacted.value(password), securityToken]
    const envelope = Redacted.make(soap.loginEnvelope({ username, password: secret, client: options.clientName }))
    const url = new URL(`/services/Soap/u/${version}`, config.baseUrl).toString()
    const http = yield* AuthHttp.make({ timeout: options.requestTimeout })

    const acquire = Effect.gen(function*() {
      const request = HttpClientRequest.post(url).pipe(
        HttpClientRequest.setHeaders({ SOAPAction: "login", Accept: "text/xml" }),
        HttpClientRequest.bodyText(Redacted.value(envelope), "text/xml; charset=UTF-8")
      )
      const response = yield* http.send(request, { method: name })
      const malformed = (detail: string) =>
        new MalformedResponseError({ method: name, request: response.description, status: response.status, detail })
      const parsed = soap.parseResponse(response.body)
      if (parsed._tag === "Fault" && transientFaults.has(parsed.code)) {
        // Salesforce is busy or broke mid-request: worth another try, not a "no" to remember
        return yield* new TransportError({
          method: name,
          reason: "Status",
          request: response.description,
          status: response.status,
          detail: `SOAP fault ${parsed.code}: ${scrub(parsed.message, secrets)}`
        })
      }
      if (parsed._tag === "Fault") {
        return yield* new AuthenticationError({
          method: name,
          code: parsed.code,
          description: scrub(parsed.message, secrets),
          status: response.status
        })
      }
      const transient = AuthHttp.transientStatus(response, name)
      if (Option.isSome(transient)) return yield* transient.value
      if (parsed._tag === "Other") return yield* malformed(`SOAP login response: ${parsed.detail}`)
      if (response.status !== 200) return yield* malformed(`SOAP login response: HTTP ${response.status} without a Fault`)
      const result = soap.decodeResult(parsed.fields)
      if (Either.isLeft(result)) return yield* malformed(`SOAP login response: ${result.left}`)
      if (result.right.passwordExpired === "true") {
        return yield* new AuthenticationError({
          method: name,
          code: "PASSWORD_EXPIRED",
          description:
            "the password has expired: Salesforce returned a restricted session that can only set a new password; change the password and log in again",
          status: response.status
        })
      }
      const serverUrl = URL.canParse(result.right.serverUrl) ? new URL(result.right.serverUrl) : undefined
      if (serverUrl === undefined) return yield* malformed("SOAP login response: serverUrl is not a URL")
      const seconds = result.right["userInfo/sessionSecondsValid"]
      return {
        accessToken: result.right.sessionId,
        instanceUrl: serverUrl.origin,
        expiresIn: seconds === undefined ? undefined : `${seconds} seconds` as const
      } satisfies TokenProvider.TokenProvider.Grant
    })

    return yield* TokenProvider.make({
      name,
      acquire,
      storeKey: { loginHost: config.baseUrl.host, principal: username },
      ...method.providerOptions(options)
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  TokenProvider.TokenProvider,
  InvalidConfigError,
  SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
> => Layer.scoped(TokenProvider.TokenProvider, make(options))

/**
 * {@link layer} from configuration. By default: `SALESFORCE_USERNAME`, `SALESFORCE_PASSWORD`
 * (secret) and `SALESFORCE_SECURITY_TOKEN` (secret, optional); pass a `Config` to read another
 * name. The other options are given as plain values.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config:
    & {
      readonly username?: Config.Config<string> | undefined
      readonly password?: Config.Config<Redacted.Redacted<string>> | undefined
      readonly securityToken?: Config.Config<Redacted.Redacted<string> | undefined> | undefined
    }
    & Omit<Options, "username" | "password" | "securityToken"> = {}
): Layer.Layer<
  TokenProvider.TokenProvider,
  InvalidConfigError | ConfigError.ConfigError,
  SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.all({
        username: config.username ?? Config.string("SALESFORCE_USERNAME"),
        password: config.password ?? Config.redacted("SALESFORCE_PASSWORD"),
        securityToken: config.securityToken ?? method.optionalRedacted("SALESFORCE_SECURITY_TOKEN")
      }),
      (credentials) =>
        layer({
          ...method.pickCommon(config),
          soapApiVersion: config.soapApiVersion,
          clientName: config.clientName,
          ...credentials
        })
    )
  )
