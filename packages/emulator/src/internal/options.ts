/**
 * Option defaults and their resolution into the emulator's settings.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import type { ConnectedAppOptions, DuplicateRuleOptions, Options, SObjectOptions, UserOptions } from "../Emulator.js"
import { defaultCertificate } from "./defaultKey.js"
import { normalizeId } from "./ids.js"

/** The shape of `Emulator.defaultOptions`. @internal */
export interface Defaults {
  readonly port: number
  readonly orgId: string
  readonly orgName: string
  readonly users: ReadonlyArray<UserOptions>
  readonly connectedApps: ReadonlyArray<ConnectedAppOptions>
  readonly sessionLifetime: Duration.DurationInput
  readonly slidingSessions: boolean
  readonly refreshTokenRotation: boolean
  readonly queryBatchSize: number
  readonly seed: Readonly<Record<string, ReadonlyArray<Readonly<Record<string, unknown>>>>>
  readonly duplicateRules: ReadonlyArray<DuplicateRuleOptions>
  readonly apiUsageLimit: number
  readonly soapLogin: "enabled" | "disabled"
  readonly maxSoapLoginVersion: string
  readonly latestApiVersion: string
  readonly jwtExpStrictness: "lenient" | "strict"
  readonly sandbox: boolean
  readonly loginRateLimit: number
  readonly requestLogLimit: number
  readonly shareSoapSessions: boolean
  readonly authorizationCodeLifetime: Duration.DurationInput
}

/** @internal */
export const defaultOptions: Defaults = {
  port: 0,
  orgId: "00D8d000004EmUlEAK",
  orgName: "Emulator Org",
  users: [{
    username: "user@example.com",
    password: "Passw0rd!",
    securityToken: "EmulatorToken123",
    firstName: "Jane",
    lastName: "Doe"
  }],
  connectedApps: [{
    name: "Emulator Default App",
    clientId: "3MVG9EmulatorDefaultClientId",
    clientSecret: "EmulatorDefaultClientSecret",
    certificate: defaultCertificate,
    runAs: "user@example.com",
    grants: ["client_credentials", "jwt_bearer", "refresh_token", "password", "authorization_code"],
    scopes: ["api", "id", "refresh_token"],
    callbackUrls: ["http://localhost:1717/OauthRedirect", "http://127.0.0.1:1717/OauthRedirect"],
    refreshTokens: [{ username: "user@example.com", token: "5Aep861EmulatorDefaultRefreshToken" }]
  }],
  sessionLifetime: "2 hours",
  slidingSessions: true,
  refreshTokenRotation: false,
  queryBatchSize: 2000,
  seed: {
    Account: [
      { Name: "Acme", Industry: "Manufacturing", External_Id__c: "ACME-1" },
      { Name: "Globex", Industry: "Energy", External_Id__c: "GLOBEX-1" },
      { Name: "Initech", Industry: "Technology", External_Id__c: "INITECH-1" }
    ],
    Contact: [
      { FirstName: "Wile", LastName: "Coyote", Email: "wile@acme.example.com" },
      { FirstName: "Hank", LastName: "Scorpio", Email: "hank@globex.example.com" }
    ]
  },
  duplicateRules: [],
  apiUsageLimit: 15000,
  soapLogin: "enabled",
  maxSoapLoginVersion: "64.0",
  latestApiVersion: "66.0",
  jwtExpStrictness: "lenient",
  sandbox: false,
  loginRateLimit: 3600,
  requestLogLimit: 1000,
  shareSoapSessions: false,
  authorizationCodeLifetime: "15 minutes"
}

/** Settings after defaults are applied. @internal */
export interface Resolved {
  readonly port: number
  readonly orgId: string
  readonly orgName: string
  readonly users: ReadonlyArray<UserOptions>
  readonly connectedApps: ReadonlyArray<ConnectedAppOptions>
  readonly sessionLifetimeMs: number
  readonly slidingSessions: boolean
  readonly refreshTokenRotation: boolean
  readonly queryBatchSize: number
  readonly sobjects: Readonly<Record<string, SObjectOptions>>
  readonly seed: Readonly<Record<string, ReadonlyArray<Readonly<Record<string, unknown>>>>>
  readonly duplicateRules: ReadonlyArray<DuplicateRuleOptions>
  readonly apiUsageLimit: number
  readonly soapLogin: "enabled" | "disabled"
  readonly maxSoapLoginVersion: number
  readonly latestApiVersion: number
  readonly jwtAudiences: ReadonlyArray<string> | undefined
  readonly jwtExpStrictness: "lenient" | "strict"
  readonly sandbox: boolean
  readonly loginRateLimit: number
  readonly requestLogLimit: number
  readonly shareSoapSessions: boolean
  readonly authorizationCodeLifetimeMs: number
  readonly authorizeAs: string | undefined
}

const version = (text: string, name: string): number => {
  const match = /^v?(\d+)(?:\.0)?$/.exec(text.trim())
  if (!match) throw new Error(`Emulator option ${name}: "${text}" is not an API version like "64.0"`)
  return Number(match[1])
}

/**
 * The default connected app, re-pointed at the first configured user when `users`
 * replaces the default user (or without run-as user and refresh token when there are no users).
 */
const defaultAppFor = (users: ReadonlyArray<UserOptions> | undefined): ReadonlyArray<ConnectedAppOptions> => {
  if (users === undefined) return defaultOptions.connectedApps
  const { refreshTokens, runAs: _runAs, ...app } = defaultOptions.connectedApps[0]!
  const first = users[0]
  if (first === undefined) return [app]
  return [{ ...app, runAs: first.username, refreshTokens: refreshTokens!.map((t) => ({ ...t, username: first.username })) }]
}

/** Applies the defaults; throws on an option that cannot work. @internal */
export const resolve = (options: Options): Resolved => {
  const orgId = normalizeId(options.orgId ?? defaultOptions.orgId)
  if (orgId === undefined || !orgId.startsWith("00D")) {
    throw new Error(`Emulator option orgId: "${options.orgId}" is not a 15/18-character id starting with 00D`)
  }
  const batch = options.queryBatchSize ?? defaultOptions.queryBatchSize
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`Emulator option queryBatchSize: ${batch} is not a positive integer`)
  return {
    port: options.port ?? defaultOptions.port,
    orgId,
    orgName: options.orgName ?? defaultOptions.orgName,
    users: options.users ?? defaultOptions.users,
    connectedApps: options.connectedApps ?? defaultAppFor(options.users),
    sessionLifetimeMs: Duration.toMillis(Duration.decode(options.sessionLifetime ?? defaultOptions.sessionLifetime)),
    slidingSessions: options.slidingSessions ?? defaultOptions.slidingSessions,
    refreshTokenRotation: options.refreshTokenRotation ?? defaultOptions.refreshTokenRotation,
    queryBatchSize: batch,
    sobjects: options.sobjects ?? {},
    seed: options.seed ?? defaultOptions.seed,
    duplicateRules: options.duplicateRules ?? defaultOptions.duplicateRules,
    apiUsageLimit: options.apiUsageLimit ?? defaultOptions.apiUsageLimit,
    soapLogin: options.soapLogin ?? defaultOptions.soapLogin,
    maxSoapLoginVersion: version(options.maxSoapLoginVersion ?? defaultOptions.maxSoapLoginVersion, "maxSoapLoginVersion"),
    latestApiVersion: version(options.latestApiVersion ?? defaultOptions.latestApiVersion, "latestApiVersion"),
    jwtAudiences: options.jwtAudiences,
    jwtExpStrictness: options.jwtExpStrictness ?? defaultOptions.jwtExpStrictness,
    sandbox: options.sandbox ?? defaultOptions.sandbox,
    loginRateLimit: options.loginRateLimit ?? defaultOptions.loginRateLimit,
    requestLogLimit: options.requestLogLimit ?? defaultOptions.requestLogLimit,
    shareSoapSessions: options.shareSoapSessions ?? defaultOptions.shareSoapSessions,
    authorizationCodeLifetimeMs: Duration.toMillis(
      Duration.decode(options.authorizationCodeLifetime ?? defaultOptions.authorizationCodeLifetime)
    ),
    authorizeAs: options.authorizeAs
  }
}

/** Oldest API version still served (Summer '25 retired 21.0-30.0). @internal */
export const oldestApiVersion = 31
