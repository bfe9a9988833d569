/**
 * The OAuth 2.0 JWT bearer flow: a connected app holding the certificate of an RSA key pair
 * logs a pre-authorised user in by signing an assertion with the private key. Server-to-server,
 * no password, no client secret, no refresh token: each new token is a freshly signed assertion.
 *
 * The key (PEM text or a file read through `@effect/platform`'s `FileSystem`; PKCS#1, PKCS#8 or
 * encrypted) is parsed once when the layer is built: a bad key, a wrong passphrase or a missing
 * file fails the layer with `InvalidConfigError`. Assertions are RS256 with `node:crypto`, with
 * `iss` = client id, `sub` = username, `aud` = the login server (`https://test.salesforce.com`
 * for sandbox and scratch hosts, else `https://login.salesforce.com`, or `audience`) and `exp`
 * three minutes ahead on the Effect `Clock`. The token's expiry comes from `tokenLifetime`, or is
 * unknown (kept until rejected).
 *
 * @example
 * ```ts
 * import { JwtBearer } from "@effect-salesforce/auth"
 * import { NodeFileSystem } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const Auth = JwtBearer.layer({
 *   clientId: "3MVG9...",
 *   username: "integration@acme.com",
 *   privateKeyFile: "./secrets/server.key"
 * }).pipe(Layer.provide(NodeFileSystem.layer))
 * ```
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { InvalidConfigError } from "./AuthError.js"
import * as AuthHttp from "./AuthHttp.js"
import * as jwt from "./internal/jwt.js"
import * as method from "./internal/method.js"
import * as oauth from "./internal/oauth.js"
import { isSandbox, SalesforceConfig } from "./SalesforceConfig.js"
import * as TokenProvider from "./TokenProvider.js"

/**
 * The provider name in events and errors.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "JwtBearer"

/**
 * How far ahead the assertion's `exp` is set (Salesforce accepts at most three minutes).
 *
 * @since 0.1.0
 * @category constants
 */
export const assertionLifetime: Duration.Duration = Duration.minutes(3)

/**
 * The options: the private key as PEM text (`privateKey`) or as a file (`privateKeyFile`), one
 * of the two.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends method.CommonOptions {
  /** The connected app's consumer key (the assertion's `iss`). */
  readonly clientId: string
  /** The Salesforce username to log in as (the assertion's `sub`). */
  readonly username: string
  /** The private key as PEM text. */
  readonly privateKey?: Redacted.Redacted<string> | undefined
  /** A path to the private key's PEM file, read through `FileSystem` when the layer is built. */
  readonly privateKeyFile?: string | undefined
  /** The passphrase of an encrypted private key. */
  readonly passphrase?: Redacted.Redacted<string> | undefined
  /** The assertion's `aud`. Default {@link defaultAudience} of the base URL. */
  readonly audience?: string | undefined
  /**
   * How long a token lives (the app's "Timeout Value" policy), if known, such as `"30 minutes"`
   * (a bare number is milliseconds). Must be longer than `expiryMargin`.
   */
  readonly tokenLifetime?: Duration.DurationInput | undefined
}

/**
 * The default `aud`: `https://test.salesforce.com` for sandbox and scratch-org hosts
 * (`test.salesforce.com`, `*.sandbox.my.salesforce.com`, `*.scratch.my.salesforce.com`),
 * `https://login.salesforce.com` for everything else.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultAudience = (baseUrl: URL): string =>
  isSandbox({ baseUrl, apiVersion: "" }) ? "https://test.salesforce.com"
    : "https://login.salesforce.com"

const invalid = (field: string, detail: string) => new InvalidConfigError({ field, detail })

/** The key text, from the option or the file (through `FileSystem`, when there is one). */
const keyText = (options: Options): Effect.Effect<string, InvalidConfigError> => {
  if (options.privateKey !== undefined && options.privateKeyFile !== undefined) {
    return Effect.fail(invalid("privateKey", "give either privateKey or privateKeyFile, not both"))
  }
  if (options.privateKey !== undefined) {
    return Effect.map(method.requireSecret("privateKey", options.privateKey), Redacted.value)
  }
  const path = options.privateKeyFile
  if (path === undefined || path.trim() === "") {
    return Effect.fail(invalid("privateKey", "one of privateKey (PEM text) or privateKeyFile (a path) is required"))
  }
  return Effect.flatMap(Effect.serviceOption(FileSystem.FileSystem), (fs) =>
    Option.isNone(fs)
      ? Effect.fail(invalid("privateKeyFile", "reading a key file needs a FileSystem layer (NodeFileSystem.layer)"))
      : fs.value.readFileString(path).pipe(
        Effect.mapError((e) =>
          invalid(
            "privateKeyFile",
            `cannot read "${path}": ${
              e._tag === "SystemError" ? (e.reason === "NotFound" ? "no such file" : e.reason) : "invalid path"
            }`
          )
        )
      ))
}

/** What {@link layerConfig} reads by default: the credentials, each overridable with a `Config`. */
const credentials = {
  clientId: Config.string("SALESFORCE_CLIENT_ID"),
  username: Config.string("SALESFORCE_USERNAME"),
  privateKey: method.optionalRedacted("SALESFORCE_PRIVATE_KEY"),
  privateKeyFile: method.optionalString("SALESFORCE_PRIVATE_KEY_FILE"),
  passphrase: method.optionalRedacted("SALESFORCE_PRIVATE_KEY_PASSPHRASE"),
  audience: method.optionalString("SALESFORCE_JWT_AUDIENCE")
}

/**
 * The options of {@link layerConfig}: the credentials and key as `Config`, the rest as plain values.
 *
 * @since 0.2.0
 * @category models
 */
export type ConfigOptions = method.ConfigOptions<Options, keyof typeof credentials>

const makeImpl: method.Make<Options> = (options) =>
  Effect.gen(function*() {
    const config = yield* SalesforceConfig
    const clientId = yield* method.requireText("clientId", options.clientId)
    const username = yield* method.requireText("username", options.username)
    const pem = yield* keyText(options)
    const passphrase = options.passphrase === undefined ? undefined : Redacted.value(options.passphrase)
    const key = yield* Either.mapLeft(
      jwt.parsePrivateKey(pem, passphrase),
      (detail) => invalid(options.privateKeyFile !== undefined ? "privateKeyFile" : "privateKey", detail)
    )
    const audience = options.audience ?? defaultAudience(config.baseUrl)
    const tokenLifetime = yield* method.tokenLifetime(options)
    const http = yield* AuthHttp.make({ requestTimeout: options.requestTimeout })

    // a fresh assertion per attempt: retries never resend an old one
    const acquire = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const exp = Math.floor((now + Duration.toMillis(assertionLifetime)) / 1000)
      const assertion = Redacted.make(jwt.sign({ iss: clientId, sub: username, aud: audience, exp }, key))
      const response = yield* oauth.requestToken(http, {
        method: name,
        baseUrl: config.baseUrl,
        params: { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }
      })
      return {
        accessToken: response.access_token,
        instanceUrl: response.instance_url,
        expiresIn: tokenLifetime
      } satisfies TokenProvider.TokenProvider.Grant
    })

    return yield* method.provider(name, acquire, options, {
      storeKey: { loginHost: config.baseUrl.host, principal: `${clientId}:${username}` }
    })
  })

/**
 * Build a `TokenProvider` for the JWT bearer flow. With `privateKeyFile` it needs a
 * `FileSystem`. Fails with `InvalidConfigError` (before any request) on an unreadable file, a
 * key that is not an RSA private key, a missing or wrong passphrase, or empty ids.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: {
  (options: Options & { readonly privateKeyFile: string }): Effect.Effect<
    TokenProvider.TokenProvider.Service,
    InvalidConfigError,
    Scope.Scope | method.Requirements | FileSystem.FileSystem
  >
  (options: Options & { readonly privateKeyFile?: undefined }): Effect.Effect<
    TokenProvider.TokenProvider.Service,
    InvalidConfigError,
    Scope.Scope | method.Requirements
  >
  (options: Options): Effect.Effect<
    TokenProvider.TokenProvider.Service,
    InvalidConfigError,
    Scope.Scope | method.Requirements | FileSystem.FileSystem
  >
} = makeImpl

const layers = method.layers(makeImpl, credentials)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: {
  (options: Options & { readonly privateKeyFile: string }): Layer.Layer<
    TokenProvider.TokenProvider,
    InvalidConfigError,
    method.Requirements | FileSystem.FileSystem
  >
  (options: Options & { readonly privateKeyFile?: undefined }): Layer.Layer<
    TokenProvider.TokenProvider,
    InvalidConfigError,
    method.Requirements
  >
  (options: Options): Layer.Layer<
    TokenProvider.TokenProvider,
    InvalidConfigError,
    method.Requirements | FileSystem.FileSystem
  >
} = layers.layer

/**
 * {@link layer} from configuration. By default: `SALESFORCE_CLIENT_ID`, `SALESFORCE_USERNAME`,
 * the key as PEM text in `SALESFORCE_PRIVATE_KEY` (secret; literal `\n`s are accepted) or as a
 * path in `SALESFORCE_PRIVATE_KEY_FILE` (read through `FileSystem`, which the layer therefore
 * needs), `SALESFORCE_PRIVATE_KEY_PASSPHRASE` (secret, optional) and `SALESFORCE_JWT_AUDIENCE`
 * (optional). Pass a `Config` to read another name; the other options are given as plain values.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: (
  config?: ConfigOptions
) => Layer.Layer<
  TokenProvider.TokenProvider,
  InvalidConfigError | ConfigError.ConfigError,
  method.Requirements | FileSystem.FileSystem
> = layers.layerConfig
