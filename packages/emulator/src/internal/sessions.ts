/**
 * Sessions (access tokens) and refresh tokens, their expiry on the emulator clock,
 * revocation, and refresh-token rotation with family revocation.
 *
 * @internal
 */
import type { RefreshTokenInfo, SessionInfo } from "../Emulator.js"
import type { App, User } from "./directory.js"
import { refreshToken as newRefreshToken, sessionToken } from "./ids.js"

/** @internal */
export interface Session {
  readonly token: string
  readonly user: User
  readonly clientId: string | undefined
  /** `soap`, `password`, `client_credentials`, `jwt_bearer`, `refresh_token`, `authorization_code`. */
  readonly grant: string
  readonly scopes: ReadonlyArray<string>
  readonly issuedAt: number
  lastUsedAt: number
  revoked: boolean
  /** Restricted session of a user whose password expired (§2.6). */
  readonly restricted: boolean
  /** The refresh token this session came from. */
  readonly refreshToken: string | undefined
}

/** @internal */
export interface RefreshToken {
  readonly token: string
  readonly clientId: string
  readonly user: User
  readonly family: string
  readonly scopes: ReadonlyArray<string>
  status: "active" | "rotated" | "revoked"
}

/** @internal */
export interface SessionSettings {
  lifetimeMs: number
  readonly sliding: boolean
  readonly orgId: string
  readonly now: () => number
}

/** Result of presenting a refresh token. @internal */
export type RefreshUse =
  | { readonly _tag: "Ok"; readonly token: RefreshToken; readonly next: RefreshToken | undefined }
  | { readonly _tag: "Invalid" }

/** @internal */
export class Sessions {
  readonly sessions = new Map<string, Session>()
  readonly refreshTokens = new Map<string, RefreshToken>()

  constructor(readonly settings: SessionSettings) {}

  create(options: {
    readonly user: User
    readonly grant: string
    readonly app?: App | undefined
    readonly scopes?: ReadonlyArray<string>
    readonly restricted?: boolean
    readonly refreshToken?: string
  }): Session {
    const now = this.settings.now()
    const session: Session = {
      token: sessionToken(this.settings.orgId),
      user: options.user,
      clientId: options.app?.clientId,
      grant: options.grant,
      scopes: options.scopes ?? options.app?.scopes ?? ["api", "full"],
      issuedAt: now,
      lastUsedAt: now,
      revoked: false,
      restricted: options.restricted ?? false,
      refreshToken: options.refreshToken
    }
    this.sessions.set(session.token, session)
    return session
  }

  expiresAt(session: Session): number {
    return (this.settings.sliding ? session.lastUsedAt : session.issuedAt) + this.settings.lifetimeMs
  }

  isLive(session: Session): boolean {
    return !session.revoked && this.settings.now() < this.expiresAt(session)
  }

  /** A live session for the token, or `undefined`. Does not extend it. */
  find(token: string): Session | undefined {
    const session = this.sessions.get(token)
    return session !== undefined && this.isLive(session) ? session : undefined
  }

  /** A live session for the token, extended when sessions slide. */
  use(token: string): Session | undefined {
    const session = this.find(token)
    if (session !== undefined) session.lastUsedAt = this.settings.now()
    return session
  }

  /** A live SOAP session of the user, for shared sessions. */
  liveSoapSession(user: User): Session | undefined {
    for (const session of this.sessions.values()) {
      if (session.user === user && session.grant === "soap" && this.isLive(session)) return session
    }
    return undefined
  }

  revoke(token: string): boolean {
    const session = this.sessions.get(token)
    if (session === undefined || session.revoked) return false
    session.revoked = true
    return true
  }

  revokeUserSoapSessions(user: User): void {
    for (const session of this.sessions.values()) {
      if (session.user === user && session.grant === "soap") session.revoked = true
    }
  }

  expireAll(): void {
    for (const session of this.sessions.values()) session.revoked = true
  }

  issueRefreshToken(
    app: App,
    user: User,
    options: { token?: string | undefined; family?: string; scopes?: ReadonlyArray<string> } = {}
  ): RefreshToken {
    const token = options.token ?? newRefreshToken()
    const record: RefreshToken = {
      token,
      clientId: app.clientId,
      user,
      family: options.family ?? token,
      scopes: options.scopes ?? app.scopes,
      status: "active"
    }
    this.refreshTokens.set(token, record)
    return record
  }

  /**
   * Presents a refresh token for `app`. With rotation the token dies and a successor is
   * issued; presenting a rotated token revokes its whole family and every session from it.
   */
  useRefreshToken(token: string, app: App, rotation: boolean): RefreshUse {
    const record = this.refreshTokens.get(token)
    if (record === undefined || record.clientId !== app.clientId) return { _tag: "Invalid" }
    if (record.status === "rotated") {
      this.revokeFamily(record.family)
      return { _tag: "Invalid" }
    }
    if (record.status === "revoked") return { _tag: "Invalid" }
    if (!rotation) return { _tag: "Ok", token: record, next: undefined }
    record.status = "rotated"
    const next = this.issueRefreshToken(app, record.user, { family: record.family, scopes: record.scopes })
    return { _tag: "Ok", token: record, next }
  }

  /** Revokes a refresh token, its family and the sessions issued from them. */
  revokeRefreshToken(token: string): boolean {
    const record = this.refreshTokens.get(token)
    if (record === undefined || record.status === "revoked") return false
    this.revokeFamily(record.family)
    return true
  }

  private revokeFamily(family: string): void {
    const tokens = new Set<string>()
    for (const record of this.refreshTokens.values()) {
      if (record.family === family) {
        record.status = "revoked"
        tokens.add(record.token)
      }
    }
    for (const session of this.sessions.values()) {
      if (session.refreshToken !== undefined && tokens.has(session.refreshToken)) session.revoked = true
    }
  }

  sessionInfos(): ReadonlyArray<SessionInfo> {
    return Array.from(this.sessions.values(), (s) => ({
      token: s.token,
      username: s.user.username,
      userId: s.user.userId,
      clientId: s.clientId,
      grant: s.grant,
      issuedAt: s.issuedAt,
      expiresAt: this.expiresAt(s),
      active: this.isLive(s)
    }))
  }

  refreshTokenInfos(): ReadonlyArray<RefreshTokenInfo> {
    return Array.from(this.refreshTokens.values(), (r) => ({
      token: r.token,
      clientId: r.clientId,
      username: r.user.username,
      status: r.status
    }))
  }
}
