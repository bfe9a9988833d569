/**
 * `Salesforce`: the REST client service. It takes its tokens from a `TokenProvider`, its API
 * version from `SalesforceConfig`, its transport from the user's `HttpClient`, and publishes
 * `Request` / `Response` / `Retry` / `ApiUsage` events on `SalesforceEvents`.
 *
 * Every call goes through one pipeline: the URL is resolved against the token's instance URL
 * (and refused if it points anywhere else), `Authorization`, `Accept` and
 * `Sforce-Call-Options` are set, a FIFO limit bounds concurrency, a 401 `INVALID_SESSION_ID`
 * replaces the rejected token once and resends, transient failures are retried per the
 * `RetryPolicy`, and refusals become the tagged errors of `SalesforceError`.
 *
 * @example
 * ```ts
 * import { Salesforce } from "@effect-salesforce/client"
 * import { Effect, Stream } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const sf = yield* Salesforce.Salesforce
 *   const accounts = yield* sf.query("SELECT Id, Name FROM Account").pipe(Stream.take(10), Stream.runCollect)
 *   const { id } = yield* sf.sobject("Account").create({ Name: "Acme" })
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as AuthError from "@effect-salesforce/auth/AuthError"
import * as AuthMethod from "@effect-salesforce/auth/AuthMethod"
import type * as RetryPolicy from "@effect-salesforce/auth/RetryPolicy"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import type { TokenProvider } from "@effect-salesforce/auth/TokenProvider"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import * as internal from "./internal/salesforce.js"
import type { SalesforceError } from "./SalesforceError.js"

/**
 * @since 0.1.0
 * @category services
 */
export class Salesforce extends Context.Tag("@effect-salesforce/client/Salesforce")<Salesforce, Salesforce.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace Salesforce {
  /**
   * What any call can fail with: a refusal or transport failure (`SalesforceError`), or a
   * token problem (`AuthError`, including a 401 that a refresh did not fix).
   *
   * @since 0.1.0
   * @category errors
   */
  export type Error = SalesforceError | AuthError.AuthError

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /**
     * Send a request through the pipeline. Its URL is a path: `/services/data/v64.0/...`,
     * or relative to `/services/data/vXX.X/` (`"sobjects/Account"`); an absolute URL is
     * accepted only on the token's own instance. Succeeds with the whole response (body
     * buffered) for 2xx and 304; anything else is a tagged error.
     */
    readonly execute: (
      request: HttpClientRequest.HttpClientRequest,
      options?: RequestOptions
    ) => Effect.Effect<HttpClientResponse.HttpClientResponse, Error>
    /** The same pipeline as an `@effect/platform` `HttpClient`, for the raw API. */
    readonly httpClient: HttpClient.HttpClient.With<Error>
    /**
     * Run a SOQL query and stream its records, following `nextRecordsUrl` lazily: a
     * consumer that takes 5 records fetches one page. With `{ schema }`, each record is decoded.
     */
    readonly query: QueryFn
    /** {@link query} over `queryAll`: deleted and archived rows included. */
    readonly queryAll: QueryFn
    /** Record operations on one sObject type, such as `sobject("Account")`. */
    readonly sobject: (name: string) => SObject
    /** `GET /limits`: the org's limits, each `{ Max, Remaining }`. */
    readonly limits: Effect.Effect<Limits, Error>
    /** The API version in use, `"64.0"`. */
    readonly apiVersion: string
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface QueryFn {
    <A, I, R>(soql: string, options: QueryOptions<A, I, R>): Stream.Stream<A, Error | ParseResult.ParseError, R>
    (soql: string, options?: RequestOptions): Stream.Stream<SObjectRecord, Error>
  }

  /**
   * Per-call options of a query that decodes each record with `schema`.
   *
   * @since 0.2.0
   * @category models
   */
  export interface QueryOptions<A, I, R> extends RequestOptions {
    readonly schema: Schema.Schema<A, I, R>
  }

  /**
   * Per-call options.
   *
   * @since 0.1.0
   * @category models
   */
  export interface RequestOptions {
    /** Replace the retry policy for this call (`RetryPolicy.none` for no retries); same as providing `RetryPolicy` around it. */
    readonly retryPolicy?: RetryPolicy.Policy | undefined
    /**
     * Resend a POST or PATCH after an ambiguous failure (a 5xx, or a connection that failed
     * after the body may have been sent). Off by default: the first attempt may have been
     * processed, and a resent create makes a duplicate record.
     */
    readonly allowResend?: boolean | undefined
    /** Extra request headers, such as `Sforce-Duplicate-Rule-Header`. */
    readonly headers?: Readonly<Record<string, string>> | undefined
    /** Bound on one HTTP attempt (send and read the body). Default: the client's `requestTimeout`. */
    readonly requestTimeout?: Duration.DurationInput | undefined
    /** The largest body read for this call. Default: the client's `maxResponseBytes`. */
    readonly maxResponseBytes?: number | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** At most this many requests in flight at once. Default 100. */
    readonly concurrency?: number | undefined
    /**
     * Sent as `Sforce-Call-Options: client=<clientName>`. Default `"effect-salesforce"`. A CR,
     * LF, other control character or comma fails construction with `InvalidConfigError`.
     */
    readonly clientName?: string | undefined
    /**
     * The retry policy of this client's calls. Default: the `RetryPolicy` in force when the
     * client is built. Either way a policy provided around one call
     * (`Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.none)`) changes that call.
     */
    readonly retryPolicy?: RetryPolicy.Policy | undefined
    /** Bound on one HTTP attempt (send and read the body). Default 2 minutes. */
    readonly requestTimeout?: Duration.DurationInput | undefined
    /**
     * The largest response body read, in bytes, counted after decompression; past it the read
     * stops and the call fails with `ResponseTooLargeError` (never retried). Default 64 MiB,
     * above Salesforce's largest ordinary answers (a 2,000-record query page, a composite answer).
     */
    readonly maxResponseBytes?: number | undefined
    /**
     * When the instance refuses a token fresh from the token endpoint (401 again after a
     * refresh), requests with that token fail at once with `SessionRejectedError` for this long:
     * no request and no login each. Default 1 minute; `0` turns it off.
     */
    readonly rejectedSessionCooldown?: Duration.DurationInput | undefined
  }

  /**
   * A record as Salesforce returns it.
   *
   * @since 0.1.0
   * @category models
   */
  export interface SObjectRecord {
    readonly attributes?: { readonly type: string; readonly url?: string | undefined } | undefined
    readonly Id?: string | undefined
    readonly [field: string]: unknown
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface SObject {
    /** `GET /sobjects/<name>/<id>`, optionally only some fields. */
    readonly get: (
      id: string,
      fields?: ReadonlyArray<string>,
      options?: RequestOptions
    ) => Effect.Effect<SObjectRecord, Error>
    /** `GET /sobjects/<name>/<field>/<value>`; several matches fail with `MoreThanOneRecordError`. */
    readonly getByExternalId: (
      field: string,
      value: string,
      options?: RequestOptions
    ) => Effect.Effect<SObjectRecord, Error>
    /** `POST /sobjects/<name>`: the new record's id. */
    readonly create: (
      body: Readonly<Record<string, unknown>>,
      options?: RequestOptions
    ) => Effect.Effect<{ readonly id: string }, Error>
    /** `PATCH /sobjects/<name>/<id>` with the fields to change. */
    readonly update: (
      id: string,
      body: Readonly<Record<string, unknown>>,
      options?: RequestOptions
    ) => Effect.Effect<void, Error>
    /** `DELETE /sobjects/<name>/<id>`. */
    readonly delete: (id: string, options?: RequestOptions) => Effect.Effect<void, Error>
    /**
     * `PATCH /sobjects/<name>/<field>/<value>`: create or update by external id (the field is
     * left out of the body). `created` tells which; several matches fail with
     * `MoreThanOneRecordError`.
     */
    readonly upsert: (
      field: string,
      value: string,
      body: Readonly<Record<string, unknown>>,
      options?: RequestOptions
    ) => Effect.Effect<UpsertResult, Error>
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface UpsertResult {
    readonly id: string
    readonly created: boolean
  }

  /**
   * One entry of `/limits`; some entries also hold per-app objects.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Limit {
    readonly Max: number
    readonly Remaining: number
    readonly [app: string]: unknown
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export type Limits = Readonly<Record<string, Limit>>
}

/**
 * Build a client. Two calls with two `TokenProvider`s (each under its own
 * `Effect.provideService`) talk to two orgs in one program.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options?: Salesforce.Options
) => Effect.Effect<
  Salesforce.Service,
  AuthError.InvalidConfigError,
  TokenProvider | SalesforceEvents.SalesforceEvents | SalesforceConfig.SalesforceConfig | HttpClient.HttpClient
> = internal.make

const defaultLayer = Layer.effect(Salesforce, make())

/**
 * The client alone, for users who compose the layers by hand: it needs a `TokenProvider` (an
 * auth layer), the `SalesforceEvents` bus the auth layer publishes to, `SalesforceConfig` and the
 * transport. Without options it is always the same layer. Most programs want {@link layerWith}
 * or {@link layerConfig}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Salesforce.Options
): Layer.Layer<
  Salesforce,
  AuthError.InvalidConfigError,
  TokenProvider | SalesforceEvents.SalesforceEvents | SalesforceConfig.SalesforceConfig | HttpClient.HttpClient
> => options === undefined ? defaultLayer : Layer.effect(Salesforce, make(options))

/**
 * @since 0.2.0
 */
export declare namespace layerWith {
  /**
   * The client's options, and where to log in: `config` as plain values, or (by default) read
   * from `SALESFORCE_BASE_URL` and `SALESFORCE_API_VERSION` with `SalesforceConfig.layerConfig`.
   *
   * @since 0.2.0
   * @category models
   */
  export interface Options extends Salesforce.Options {
    readonly config?: SalesforceConfig.SalesforceConfig.Options | undefined
  }
}

/**
 * The client, its one events bus, `SalesforceConfig` and the given auth layer, wired together:
 * the program adds only the transport.
 *
 * @example
 * ```ts
 * import { ClientCredentials } from "@effect-salesforce/auth"
 * import { Salesforce } from "@effect-salesforce/client"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const SalesforceLive = Salesforce.layerWith(ClientCredentials.layerConfig()).pipe(
 *   Layer.provide(NodeHttpClient.layerUndici)
 * )
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layerWith = <E, R>(
  auth: Layer.Layer<TokenProvider, E, R>,
  options: layerWith.Options = {}
): Layer.Layer<
  Salesforce | TokenProvider | SalesforceEvents.SalesforceEvents | SalesforceConfig.SalesforceConfig,
  E | SalesforceConfig.InvalidConfig | AuthError.InvalidConfigError,
  HttpClient.HttpClient | Exclude<R, SalesforceEvents.SalesforceEvents | SalesforceConfig.SalesforceConfig>
> => {
  const { config, ...client } = options
  return layer(client).pipe(
    Layer.provideMerge(auth),
    Layer.provideMerge(
      Layer.merge(
        config === undefined ? SalesforceConfig.layerConfig() : SalesforceConfig.layer(config),
        SalesforceEvents.layer
      )
    )
  )
}

/**
 * {@link layerWith} with the auth method picked from the environment (`AuthMethod.layerConfig`:
 * the first method whose variables are all set, or a `ConfigError` listing what each lacks).
 * Needs the transport and a `FileSystem` (`SALESFORCE_PRIVATE_KEY_FILE` may name a key file).
 *
 * @example
 * ```ts
 * import { Salesforce } from "@effect-salesforce/client"
 * import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const SalesforceLive = Salesforce.layerConfig().pipe(
 *   Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer))
 * )
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options?: layerWith.Options
): Layer.Layer<
  Salesforce | TokenProvider | SalesforceEvents.SalesforceEvents | SalesforceConfig.SalesforceConfig,
  SalesforceConfig.InvalidConfig | AuthError.InvalidConfigError,
  HttpClient.HttpClient | FileSystem.FileSystem
> => layerWith(AuthMethod.layerConfig, options)
