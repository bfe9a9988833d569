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
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { AuthenticationError, InvalidConfigError, MalformedResponseError, TransportError } from "./AuthError.js"
import * as AuthHttp from "./AuthHttp.js"
import * as hints from "./internal/hints.js"
import * as method from "./internal/method.js"
import * as soap from "./internal/soap.js"
import { parseApiVersion, SalesforceConfig } from "./SalesforceConfig.js"
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

/** What {@link layerConfig} reads by default: the credentials, each overridable with a `Config`. */
const credentials = {
  username: Config.string("SALESFORCE_USERNAME"),
  password: Config.redacted("SALESFORCE_PASSWORD"),
  securityToken: method.optionalRedacted("SALESFORCE_SECURITY_TOKEN")
}

/**
 * The options of {@link layerConfig}: the credentials as `Config`, the rest as plain values.
 *
 * @since 0.2.0
 * @category models
 */
export type ConfigOptions = method.ConfigOptions<Options, keyof typeof credentials>

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

/**
 * Build a `TokenProvider` that logs in with SOAP `login()`. Fails with `InvalidConfigError`
 * (before any request) on an empty username or password, a character XML cannot carry, or a
 * login endpoint version above 64.0.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: method.Make<Options> = (options) =>
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
    // scrubbed (in every form) from whatever the server answers; the concatenation first
    const secrets = [secret, Redacted.value(password), securityToken]
    const envelope = Redacted.make(soap.loginEnvelope({ username, password: secret, client: options.clientName }))
    const url = new URL(`/services/Soap/u/${version}`, config.baseUrl).toString()
    const http = yield* AuthHttp.make({ requestTimeout: options.requestTimeout })

    const acquire = Effect.gen(function*() {
      const request = HttpClientRequest.post(url).pipe(
        HttpClientRequest.setHeaders({ SOAPAction: "login", Accept: "text/xml" }),
        HttpClientRequest.bodyText(Redacted.value(envelope), "text/xml; charset=UTF-8")
      )
      const response = yield* http.send(request, { method: name, secrets })
      // a non-2xx body comes scrubbed; `scrub` covers a fault sent with a 2xx status
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
          detail: response.scrub(`SOAP fault ${parsed.code}: ${parsed.message}`)
        })
      }
      if (parsed._tag === "Fault") {
        const hint = hints.soapLogin(parsed.code, parsed.message)
        return yield* new AuthenticationError({
          method: name,
          code: response.scrub(parsed.code),
          description: response.scrub(parsed.message),
          status: response.status,
          ...(hint === undefined ? {} : { hint })
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

    return yield* method.provider(name, acquire, options, {
      storeKey: { loginHost: config.baseUrl.host, principal: username }
    })
  })

const layers = method.layers(make, credentials)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = layers.layer

/**
 * {@link layer} from configuration. By default: `SALESFORCE_USERNAME`, `SALESFORCE_PASSWORD`
 * (secret) and `SALESFORCE_SECURITY_TOKEN` (secret, optional); pass a `Config` to read another
 * name. The other options are given as plain values.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = layers.layerConfig
