/**
 * Users and connected apps: who may log in, with which credentials and grants.
 *
 * @internal
 */
import * as Crypto from "node:crypto"
import type { ConnectedAppOptions, Grant, UserOptions } from "../Emulator.js"
import { type IdGenerator, prefixes } from "./ids.js"

/** @internal */
export interface User {
  readonly userId: string
  readonly username: string
  readonly password: string
  readonly securityToken: string
  readonly firstName: string
  readonly lastName: string
  readonly email: string
  readonly timeZone: string
  readonly profileId: string
  readonly trustedIp: boolean
  readonly locked: boolean
  readonly passwordExpired: boolean
  /** Emulator-clock times of login attempts in the last hour (rate limit). */
  loginAttempts: Array<number>
}

/** @internal */
export interface App {
  readonly name: string
  readonly clientId: string
  readonly clientSecret: string | undefined
  readonly publicKey: Crypto.KeyObject | undefined
  readonly runAs: string | undefined
  readonly grants: ReadonlySet<Grant>
  readonly scopes: ReadonlyArray<string>
  readonly approvedUsers: ReadonlySet<string> | undefined
  readonly introspectAll: boolean
  readonly rotation: boolean | undefined
  readonly callbackUrls: ReadonlyArray<string>
  readonly requireSecretForWebServerFlow: boolean
}

const allGrants: ReadonlyArray<Grant> = ["client_credentials", "jwt_bearer", "refresh_token", "password", "authorization_code"]

/** Outcome of checking a password (with the security token appended). @internal */
export type PasswordCheck = "ok" | "needsToken" | "bad"

/** @internal */
export const checkPassword = (user: User, supplied: string): PasswordCheck => {
  if (supplied === user.password + user.securityToken) return "ok"
  if (supplied === user.password) return user.trustedIp || user.securityToken === "" ? "ok" : "needsToken"
  return "bad"
}

const HOUR = 3_600_000

/** @internal */
export class Directory {
  readonly users = new Map<string, User>()
  readonly usersById = new Map<string, User>()
  readonly apps = new Map<string, App>()
  readonly profileId: string

  constructor(private readonly ids: IdGenerator) {
    this.profileId = ids.next(prefixes.profile)
  }

  addUser(options: UserOptions): User {
    if (this.users.has(options.username.toLowerCase())) {
      throw new Error(`Emulator: user ${options.username} already exists`)
    }
    const user: User = {
      userId: this.ids.next("005"),
      username: options.username,
      password: options.password,
      securityToken: options.securityToken ?? "",
      firstName: options.firstName ?? "",
      lastName: options.lastName ?? options.username.split("@")[0]!,
      email: options.email ?? options.username,
      timeZone: options.timeZone ?? "America/Los_Angeles",
      profileId: this.profileId,
      trustedIp: options.trustedIp ?? false,
      locked: options.locked ?? false,
      passwordExpired: options.passwordExpired ?? false,
      loginAttempts: []
    }
    this.users.set(user.username.toLowerCase(), user)
    this.usersById.set(user.userId, user)
    return user
  }

  addApp(options: ConnectedAppOptions): App {
    let publicKey: Crypto.KeyObject | undefined
    if (options.certificate !== undefined) {
      publicKey = new Crypto.X509Certificate(options.certificate).publicKey
    } else if (options.publicKey !== undefined) {
      publicKey = Crypto.createPublicKey(options.publicKey)
    }
    if (publicKey !== undefined && publicKey.asymmetricKeyType !== "rsa") {
      throw new Error(`Emulator: connected app ${options.clientId} needs an RSA key for RS256`)
    }
    if (options.runAs !== undefined && !this.users.has(options.runAs.toLowerCase())) {
      throw new Error(`Emulator: connected app ${options.clientId} runs as unknown user ${options.runAs}`)
    }
    const app: App = {
      name: options.name ?? options.clientId,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      publicKey,
      runAs: options.runAs,
      grants: new Set(options.grants ?? allGrants),
      scopes: options.scopes ?? ["api", "id", "refresh_token"],
      approvedUsers: options.approvedUsers && new Set(options.approvedUsers.map((u) => u.toLowerCase())),
      introspectAll: options.introspectAllTokens ?? false,
      rotation: options.refreshTokenRotation,
      callbackUrls: options.callbackUrls ?? [],
      requireSecretForWebServerFlow: options.requireSecretForWebServerFlow ?? false
    }
    this.apps.set(app.clientId, app)
    return app
  }

  user(username: string): User | undefined {
    return this.users.get(username.toLowerCase())
  }

  /**
   * Records a login attempt and says whether the user is over the hourly rate.
   */
  overLoginRate(user: User, now: number, limit: number): boolean {
    user.loginAttempts = user.loginAttempts.filter((t) => t > now - HOUR)
    user.loginAttempts.push(now)
    return user.loginAttempts.length > limit
  }
}
