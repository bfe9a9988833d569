/**
 * The OAuth 2.0 client-credentials flow: a connected app (or External Client App) logs in as
 * its configured Run-As user with its consumer key and secret. Server-to-server, no user
 * password, no refresh token: a new token is a new grant.
 *
 * The token endpoint is the org's My Domain (`SalesforceConfig.baseUrl`);
 * `login.salesforce.com` and `test.salesforce.com` do not serve this flow and are refused when
 * the layer is built. Salesforce's token responses carry no lifetime, so the expiry comes from
 * the `tokenLifetime` option (the app's "Timeout Value" policy), or from token introspection when
 * `introspect` is on, or is unknown (the token is then kept until Salesforce rejects it).
 *
 * @example
 * ```ts
 * import { ClientCredentials, SalesforceConfig, SalesforceEvents } from "@effect-salesforce/auth"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Layer, Redacted } from "effect"
 *
 * const Auth = ClientCredentials.layer({
 *   clientId: "3MVG9...",
 *   clientSecret: Redacted.make(process.env.SF_SECRET!),
 *   tokenLifetime: "15 minutes"
 * }).pipe(
 *   Layer.provide([
 *     SalesforceConfig.layer({ baseUrl: "https://acme.my.salesforce.com" }),
 *     SalesforceEvents.layer,
 *     NodeHttpClient.layerUndici
 *   ])
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import { InvalidConfigError } from "./AuthError.js"
import * as AuthHttp from "./AuthHttp.js"
import * as method from "./internal/method.js"
import * as oauth from "./internal/oauth.js"
import { SalesforceConfig } from "./SalesforceConfig.js"

/**
 * The provider name in events and errors.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "ClientCredentials"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends method.CommonOptions {
  /** The connected app's consumer key. */
  readonly clientId: string
  /** The connected app's consumer secret. */
  readonly clientSecret: Redacted.Redacted<string>
  /**
   * How long a token lives: the app's "Timeout Value" policy (or the org's session timeout),
   * such as `"15 minutes"` (a bare number is milliseconds). Must be longer than `expiryMargin`.
   * When given, no introspection is done.
   */
  readonly tokenLifetime?: Duration.DurationInput | undefined
  /**
   * Learn each token's expiry from `/services/oauth2/introspect` (one extra call per token).
   * Used only without `tokenLifetime`. If introspection fails or says nothing, the expiry is unknown.
   * Default `false`.
   */
  readonly introspect?: boolean | undefined
}

/** Generic login hosts: the client-credentials grant is not supported there. */
const genericHosts = new Set(["login.salesforce.com", "test.salesforce.com"])

/**
 * Check that the base URL can serve the client-credentials grant: a My Domain (or the
 * emulator), not a generic login host.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkBaseUrl = (baseUrl: URL): Effect.Effect<URL, InvalidConfigError> =>
  genericHosts.has(baseUrl.hostname.toLowerCase())
    ? Effect.fail(
      new InvalidConfigError({
        field: "baseUrl",
        detail: `the client credentials flow must be sent to the org's My Domain (https://<MyDomain>.my.salesforce.com), not ${baseUrl.hostname}: Salesforce answers "request not supported on this domain" there`
      })
    )
    : Effect.succeed(baseUrl)

/** What {@link layerConfig} reads by default: the credentials, each overridable with a `Config`. */
const credentials = {
  clientId: Config.string("SALESFORCE_CLIENT_ID"),
  clientSecret: Config.redacted("SALESFORCE_CLIENT_SECRET")
}

/**
 * The options of {@link layerConfig}: the credentials as `Config`, the rest as plain values.
 *
 * @since 0.2.0
 * @category models
 */
export type ConfigOptions = method.ConfigOptions<Options, keyof typeof credentials>

/**
 * Build a `TokenProvider` for the client-credentials flow. Fails with `InvalidConfigError`
 * (before any request) on an empty client id or secret or a generic login host.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: method.Make<Options> = (options) =>
  Effect.gen(function*() {
    const config = yield* SalesforceConfig
    const baseUrl = yield* checkBaseUrl(config.baseUrl)
    const clientId = yield* method.requireText("clientId", options.clientId)
    const clientSecret = yield* method.requireSecret("clientSecret", options.clientSecret)
    const tokenLifetime = yield* method.tokenLifetime(options)
    const http = yield* AuthHttp.make({ requestTimeout: options.requestTimeout })

    const lifetime = oauth.lifetime(http, {
      method: name,
      baseUrl: baseUrl,
      tokenLifetime,
      introspect: options.introspect,
      clientId,
      clientSecret
    })

    const acquire = Effect.gen(function*() {
      const response = yield* oauth.requestToken(http, {
        method: name,
        baseUrl,
        params: { grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret }
      })
      return oauth.grant(response, yield* lifetime(response))
    })

    return yield* method.provider(name, acquire, options, {
      storeKey: { loginHost: config.baseUrl.host, principal: clientId }
    })
  })

const layers = method.layers(make, credentials)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = layers.layer

/**
 * {@link layer} from configuration. By default `clientId` is read from `SALESFORCE_CLIENT_ID`
 * and `clientSecret` (as a secret) from `SALESFORCE_CLIENT_SECRET`; pass a `Config` to read
 * another name. The other options are given as plain values.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = layers.layerConfig
