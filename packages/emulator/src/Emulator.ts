/**
 * A strict Salesforce stand-in on `127.0.0.1`: SOAP `login()`, the OAuth token,
 * introspect, revoke and userinfo endpoints, and the core REST API (query with
 * pagination, sObject CRUD and upsert), with a control handle to expire sessions,
 * move the clock, inject faults and read counters.
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-salesforce/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const { baseUrl, control } = yield* Emulator.Emulator
 *   // ... talk to `baseUrl` over HTTP ...
 *   yield* control.expireAllSessions
 * }).pipe(Effect.provide(Emulator.layer()))
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { makeControl } from "./internal/control.js"
import * as internalKey from "./internal/defaultKey.js"
import * as internalOptions from "./internal/options.js"
import { startServer } from "./internal/server.js"

// ---------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------

/**
 * An org user who can log in.
 *
 * @since 0.1.0
 * @category models
 */
export interface UserOptions {
  readonly username: string
  readonly password: string
  /** Appended to the password unless `trustedIp`. Default `""`. */
  readonly securityToken?: string
  readonly firstName?: string
  readonly lastName?: string
  /** Default: the username. */
  readonly email?: string
  /** Default `"America/Los_Angeles"`. */
  readonly timeZone?: string
  /** The caller's IP counts as trusted: the password alone logs in (with or without the token). */
  readonly trustedIp?: boolean
  /** Every login fails with `INVALID_LOGIN` / `authentication failure`. */
  readonly locked?: boolean
  /** SOAP login succeeds with `passwordExpired=true` and a restricted session (§2.6). */
  readonly passwordExpired?: boolean
}

/**
 * OAuth grant types a connected app may allow.
 *
 * @since 0.1.0
 * @category models
 */
export type Grant = "client_credentials" | "jwt_bearer" | "refresh_token" | "password" | "authorization_code"

/**
 * A connected app (OAuth client).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectedAppOptions {
  /** Display name. Default: the client id. */
  readonly name?: string
  readonly clientId: string
  readonly clientSecret?: string
  /** PEM public key (SPKI or PKCS#1) that verifies JWT bearer assertions. */
  readonly publicKey?: string
  /** PEM X.509 certificate that verifies JWT bearer assertions (alternative to `publicKey`). */
  readonly certificate?: string
  /** Username the client-credentials flow runs as. Without it that flow fails with `no client credentials user enabled`. */
  readonly runAs?: string
  /** Allowed grants. Default: all five. */
  readonly grants?: ReadonlyArray<Grant>
  /** OAuth scopes of the app. Default `["api", "id", "refresh_token"]`. Without `api`, REST answers 401. */
  readonly scopes?: ReadonlyArray<string>
  /** Refresh tokens issued up front, one per entry; `token` defaults to a random `5Aep861...` value. */
  readonly refreshTokens?: ReadonlyArray<{ readonly username: string; readonly token?: string }>
  /** Users pre-approved for the JWT flow. Default: every user. */
  readonly approvedUsers?: ReadonlyArray<string>
  /** May introspect tokens of other apps. Default `false`. */
  readonly introspectAllTokens?: boolean
  /** Overrides the emulator-wide `refreshTokenRotation` for this app. */
  readonly refreshTokenRotation?: boolean
  /**
   * Callback URLs of the web-server (authorization-code) flow: a `redirect_uri` must equal one
   * of them exactly. Default: none (the default app has `http://localhost:1717/OauthRedirect`
   * and `http://127.0.0.1:1717/OauthRedirect`).
   */
  readonly callbackUrls?: ReadonlyArray<string>
  /**
   * The code exchange needs the client secret ("Require Secret for Web Server Flow"). Default
   * `false`, as for a public client using PKCE.
   */
  readonly requireSecretForWebServerFlow?: boolean
}

/**
 * An sObject type. Standard system fields (`Id`, `IsDeleted`, `CreatedDate`,
 * `CreatedById`, `LastModifiedDate`, `LastModifiedById`, `SystemModstamp`) are added.
 *
 * @since 0.1.0
 * @category models
 */
export interface SObjectOptions {
  /** 3-character id prefix. Default: the standard prefix, or `a00`, `a01`, ... */
  readonly keyPrefix?: string
  /** Writable fields. */
  readonly fields: ReadonlyArray<string>
  /** Fields that must be non-null on create. */
  readonly required?: ReadonlyArray<string>
  /** Fields usable in `/sobjects/{type}/{field}/{value}` (external ids). */
  readonly externalIdFields?: ReadonlyArray<string>
}

/**
 * A blocking duplicate rule: saving a record whose `field` equals
 * (case-insensitively) the same field of another live record of `sobject`
 * fails with `DUPLICATES_DETECTED`, unless the request sends
 * `Sforce-Duplicate-Rule-Header: allowSave=true`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DuplicateRuleOptions {
  readonly sobject: string
  readonly field: string
  /** Default `Emulator_<sobject>_<field>_Duplicate_Rule`. */
  readonly name?: string
}

/**
 * Emulator options. Every field is optional; see {@link defaultOptions}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** TCP port on 127.0.0.1. Default `0` (random). */
  readonly port?: number
  /** The org id (15 or 18 characters, starting `00D`). */
  readonly orgId?: string
  readonly orgName?: string
  /** Replaces the default users. */
  readonly users?: ReadonlyArray<UserOptions>
  /** Replaces the default connected app. */
  readonly connectedApps?: ReadonlyArray<ConnectedAppOptions>
  /** Session timeout (`sessionSecondsValid`, introspection `exp`). Default 2 hours. */
  readonly sessionLifetime?: Duration.DurationInput
  /** Extend a session's expiry each time it is used (inactivity timeout). Default `true`. */
  readonly slidingSessions?: boolean
  /** Refresh-token rotation: each refresh returns a new token, the old dies, reusing it revokes the family. Default `false`. */
  readonly refreshTokenRotation?: boolean
  /** Records per query page. Default `2000`. */
  readonly queryBatchSize?: number
  /** Extra or overridden sObject types. */
  readonly sobjects?: Readonly<Record<string, SObjectOptions>>
  /** Records per sObject created at start (and on `reset`). Replaces the default seed. */
  readonly seed?: Readonly<Record<string, ReadonlyArray<Readonly<Record<string, unknown>>>>>
  /** Default: none. */
  readonly duplicateRules?: ReadonlyArray<DuplicateRuleOptions>
  /** Daily API request limit. Default `15000`. */
  readonly apiUsageLimit?: number
  /** `"disabled"` answers SOAP `login()` with the Winter '26 `INVALID_OPERATION` fault. Default `"enabled"`. */
  readonly soapLogin?: "enabled" | "disabled"
  /** Highest API version where SOAP `login()` exists. Default `"64.0"`. */
  readonly maxSoapLoginVersion?: string
  /** Newest REST/SOAP API version. Default `"66.0"`. */
  readonly latestApiVersion?: string
  /** Accepted JWT `aud` values. Default: login, test and the emulator's own base URL. */
  readonly jwtAudiences?: ReadonlyArray<string>
  /** `"lenient"` (like Salesforce): `exp` must be in the future, any size, number or numeric string. `"strict"`: integer seconds, at most now + 180 s. Default `"lenient"`. */
  readonly jwtExpStrictness?: "lenient" | "strict"
  /** Reported as `sandbox` in the SOAP login result. Default `false`. */
  readonly sandbox?: boolean
  /** Logins (successful or not) per user per hour before `Login rate exceeded`. Default `3600`. */
  readonly loginRateLimit?: number
  /** Requests kept in the request log. Default `1000`. */
  readonly requestLogLimit?: number
  /** Repeated SOAP logins by one user share one session, and logout kills it for all (§2.7). Default `false`. */
  readonly shareSoapSessions?: boolean
  /** How long an authorization code can be exchanged (once). Default 15 minutes, as on Salesforce. */
  readonly authorizationCodeLifetime?: Duration.DurationInput
  /** The user who approves `/services/oauth2/authorize` requests. Default: the first user. */
  readonly authorizeAs?: string
}

/**
 * The defaults, including the default user and connected app:
 *
 * - user `user@example.com`, password `Passw0rd!`, security token `EmulatorToken123`
 * - connected app `3MVG9EmulatorDefaultClientId` / `EmulatorDefaultClientSecret`, all
 *   grants, run-as `user@example.com`, pre-issued refresh token
 *   `5Aep861EmulatorDefaultRefreshToken` for that user, and the certificate of
 *   {@link defaultJwtPrivateKey} registered for the JWT bearer flow.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultOptions: internalOptions.Defaults = internalOptions.defaultOptions

/**
 * The private key (PKCS#8 PEM) matching the default connected app's certificate.
 * Public on purpose: it is for tests only.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultJwtPrivateKey: string = internalKey.defaultPrivateKey

// ---------------------------------------------------------------------------
// control
// ---------------------------------------------------------------------------

/**
 * A fault to inject: it applies, before routing, to the next `count` requests whose
 * method matches and whose path (with query) starts with `path` (a string) or matches it (a RegExp).
 *
 * @since 0.1.0
 * @category models
 */
export interface Fault {
  readonly path: string | RegExp
  /** Default: any method. */
  readonly method?: string
  /** Default `1`. */
  readonly count?: number
  readonly kind: FaultKind
}

/**
 * - `Status`: answer with this status, body (a string as-is, anything else as JSON) and headers.
 * - `Delay`: wait, then handle the request normally.
 * - `Drop`: destroy the socket without answering, or (`midResponse`) after sending headers and part of a body.
 * - `Malformed`: 200 with a JSON content type and a truncated (default) or given body.
 *
 * @since 0.1.0
 * @category models
 */
export type FaultKind =
  | {
    readonly _tag: "Status"
    readonly status: number
    readonly body?: unknown
    readonly headers?: Readonly<Record<string, string>>
  }
  | { readonly _tag: "Delay"; readonly duration: Duration.DurationInput }
  | { readonly _tag: "Drop"; readonly midResponse?: boolean }
  | { readonly _tag: "Malformed"; readonly body?: string }

/**
 * Counters since start (or the last `reset` / `resetCounters`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Counters {
  /** Successful logins (SOAP, password, JWT, client credentials as the run-as user) by username. */
  readonly loginsPerUser: Readonly<Record<string, number>>
  /** Failed logins by username. */
  readonly failedLoginsPerUser: Readonly<Record<string, number>>
  /** Successful token grants by type: `soap`, `password`, `client_credentials`, `jwt_bearer`, `refresh_token`, `authorization_code`. */
  readonly grantsPerType: Readonly<Record<string, number>>
  /** Requests by path (without query), control paths excluded. */
  readonly requestsPerPath: Readonly<Record<string, number>>
  readonly totalRequests: number
  readonly inFlight: number
  readonly peakInFlight: number
  readonly apiUsage: { readonly used: number; readonly limit: number }
}

/**
 * A request as the emulator received it.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoggedRequest {
  readonly method: string
  /** Path and query. */
  readonly path: string
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** Emulator clock, epoch ms. */
  readonly receivedAt: number
  /** Response status, once answered (`undefined` for dropped or pending requests). */
  readonly status: number | undefined
}

/**
 * A session (access token) the emulator issued.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionInfo {
  readonly token: string
  readonly username: string
  readonly userId: string
  readonly clientId: string | undefined
  /** `soap`, `password`, `client_credentials`, `jwt_bearer`, `refresh_token` or `authorization_code`. */
  readonly grant: string
  readonly issuedAt: number
  readonly expiresAt: number
  readonly active: boolean
}

/**
 * A refresh token the emulator knows.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefreshTokenInfo {
  readonly token: string
  readonly clientId: string
  readonly username: string
  readonly status: "active" | "rotated" | "revoked"
}

/**
 * The control handle. Every operation also exists over HTTP under `/__emulator/` (see the README).
 * Operations given invalid input (unknown sObject, unknown app) die: that is a bug in the test.
 *
 * @since 0.1.0
 * @category models
 */
export interface Control {
  /** The emulator clock (epoch ms): `Date.now()` plus the offset `advanceClock` moved. */
  readonly now: Effect.Effect<number>
  readonly advanceClock: (duration: Duration.DurationInput) => Effect.Effect<void>
  /** Applies to existing sessions too. */
  readonly setSessionLifetime: (duration: Duration.DurationInput) => Effect.Effect<void>
  readonly expireAllSessions: Effect.Effect<void>
  /** Revokes one access token; `false` when unknown. */
  readonly revokeSession: (token: string) => Effect.Effect<boolean>
  readonly sessions: Effect.Effect<ReadonlyArray<SessionInfo>>
  readonly refreshTokens: Effect.Effect<ReadonlyArray<RefreshTokenInfo>>
  readonly issueRefreshToken: (options: { readonly clientId: string; readonly username: string }) => Effect.Effect<string>
  readonly injectFault: (fault: Fault) => Effect.Effect<void>
  readonly clearFaults: Effect.Effect<void>
  readonly counters: Effect.Effect<Counters>
  readonly requestLog: Effect.Effect<ReadonlyArray<LoggedRequest>>
  /** Clears counters (including peak concurrency and API usage) and the request log. */
  readonly resetCounters: Effect.Effect<void>
  /** Returns the new user's id. */
  readonly addUser: (user: UserOptions) => Effect.Effect<string>
  readonly addConnectedApp: (app: ConnectedAppOptions) => Effect.Effect<void>
  /** Inserts a record without validation or API usage; returns its id. */
  readonly insertRecord: (sobject: string, fields: Readonly<Record<string, unknown>>) => Effect.Effect<string>
  /** Live and deleted records of a type, as stored. */
  readonly records: (sobject: string) => Effect.Effect<ReadonlyArray<Readonly<Record<string, unknown>>>>
  readonly setApiUsage: (used: number) => Effect.Effect<void>
  readonly setSoapLogin: (mode: "enabled" | "disabled") => Effect.Effect<void>
  /**
   * How `/services/oauth2/authorize` answers from now on: approve as a user (default: the
   * `authorizeAs` option, or the first user), or deny (`error=access_denied` in the redirect).
   */
  readonly setAuthorization: (decision: AuthorizationDecision) => Effect.Effect<void>
  /** Back to the start state: users, apps, records, sessions, clock, faults, counters. */
  readonly reset: Effect.Effect<void>
}

/**
 * What the emulated user does on the consent page.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthorizationDecision =
  | { readonly _tag: "Approve"; readonly username?: string }
  | { readonly _tag: "Deny" }

// ---------------------------------------------------------------------------
// service
// ---------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `http://127.0.0.1:<port>`, also the `instance_url` and SOAP `serverUrl` host it hands out. */
  readonly baseUrl: string
  readonly control: Control
}

/**
 * @since 0.1.0
 * @category services
 */
export class Emulator extends Context.Tag("@effect-salesforce/emulator/Emulator")<Emulator, Service>() {}

/**
 * Starts an emulator; it stops (and drops open connections) when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(() => startServer(options)),
      (server) => Effect.promise(() => server.close())
    ),
    (server): Service => ({ baseUrl: server.state.baseUrl, control: makeControl(server.state) })
  )

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Emulator> => Layer.scoped(Emulator, make(options))
