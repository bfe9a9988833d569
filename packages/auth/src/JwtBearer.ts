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
 * three minutes ahead on the Effect `Clock`. The token's expiry comes from `timeout`, or is
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
import type * as HttpClient from "@effect/platform/HttpClient"
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
import type { SalesforceEvents } from "./SalesforceEvents.js"
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
 * @since 0.1.0
 * @category models
 */
export interface BaseOptions extends method.CommonOptions {
  /** The connected app's consumer key (the assertion's `iss`). */
  readonly clientId: string
  /** The Salesforce username to log in as (the assertion's `sub`). */
  readonly username: string
  /** The passphrase of an encrypted private key. */
  readonly passphrase?: Redacted.Redacted<string> | undefined
  /** The assertion's `aud`. Default {@link defaultAudience} of the base URL. */
  readonly audience?: string | undefined
  /** How long a token lives (the app's "Timeout Value" policy), if known. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The options: the private key as PEM text (`privateKey`) or as a file (`privateKeyFile`).
 *
 * @since 0.1.0
 * @category models
 */
export type Options =
  & BaseOptions
  & (
    | { readonly privateKey: Redacted.Redacted<string>; readonly privateKeyFile?: undefined }
    | { readonly privateKeyFile: string; readonly privateKey?: undefined }
  )

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

const makeImpl = (
  options: Options
): Effect.Effect<
  TokenProvider.TokenProvider.Service,
  InvalidConfigError,
  Scope.Scope | SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
> =>
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
    const timeout = options.timeout === undefined ? undefined : Duration.decode(options.timeout)
    const http = yield* AuthHttp.make({ timeout: options.requestTimeout })

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
        expiresIn: timeout
      } satisfies TokenProvider.TokenProvider.Grant
    })

    return yield* TokenProvider.make({
      name,
      acquire,
      storeKey: { loginHost: config.baseUrl.host, principal: `${clientId}:${username}` },
      ...method.providerOptions(options)
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
    Scope.Scope | SalesforceConfig | SalesforceEvents | HttpClient.HttpClient | FileSystem.FileSystem
  >
  (options: Options): Effect.Effect<
    TokenProvider.TokenProvider.Service,
    InvalidConfigError,
    Scope.Scope | SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
  >
} = makeImpl

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: {
  (options: Options & { readonly privateKeyFile: string }): Layer.Layer<
    TokenProvider.TokenProvider,
    InvalidConfigError,
    SalesforceConfig | SalesforceEvents | HttpClient.HttpClient | FileSystem.FileSystem
  >
  (options: Options): Layer.Layer<
    TokenProvider.TokenProvider,
    InvalidConfigError,
    SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
  >
} = (options: Options) => Layer.scoped(TokenProvider.TokenProvider, makeImpl(options))

/**
 * {@link layer} from configuration. By default: `SALESFORCE_CLIENT_ID`, `SALESFORCE_USERNAME`,
 * the key as PEM text in `SALESFORCE_PRIVATE_KEY` (secret; literal `\n`s are accepted) or as a
 * path in `SALESFORCE_PRIVATE_KEY_FILE` (read through a `FileSystem` in context, which must then
 * be provided), `SALESFORCE_PRIVATE_KEY_PASSPHRASE` (secret, optional) and
 * `SALESFORCE_JWT_AUDIENCE` (optional). Pass a `Config` to read another name; the other options
 * are given as plain values.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config:
    & {
      readonly clientId?: Config.Config<string> | undefined
      readonly username?: Config.Config<string> | undefined
      readonly privateKey?: Config.Config<Redacted.Redacted<string> | undefined> | undefined
      readonly privateKeyFile?: Config.Config<string | undefined> | undefined
      readonly passphrase?: Config.Config<Redacted.Redacted<string> | undefined> | undefined
      readonly audience?: Config.Config<string | undefined> | undefined
    }
    & Omit<BaseOptions, "clientId" | "username" | "passphrase" | "audience"> = {}
): Layer.Layer<
  TokenProvider.TokenProvider,
  InvalidConfigError | ConfigError.ConfigError,
  SalesforceConfig | SalesforceEvents | HttpClient.HttpClient
> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.all({
        clientId: config.clientId ?? Config.string("SALESFORCE_CLIENT_ID"),
        username: config.username ?? Config.string("SALESFORCE_USERNAME"),
        privateKey: config.privateKey ?? method.optionalRedacted("SALESFORCE_PRIVATE_KEY"),
        privateKeyFile: config.privateKeyFile ?? method.optionalString("SALESFORCE_PRIVATE_KEY_FILE"),
        passphrase: config.passphrase ?? method.optionalRedacted("SALESFORCE_PRIVATE_KEY_PASSPHRASE"),
        audience: config.audience ?? method.optionalString("SALESFORCE_JWT_AUDIENCE")
      }),
      ({ privateKey, privateKeyFile, ...rest }) =>
        Layer.scoped(
          TokenProvider.TokenProvider,
          makeImpl({
            ...method.pickCommon(config),
            timeout: config.timeout,
            ...rest,
            ...(privateKey !== undefined
              ? { privateKey, privateKeyFile }
              : { privateKeyFile: privateKeyFile ?? "", privateKey: undefined })
          } as Options)
        )
    )
  )
