/**
 * `POST /services/oauth2/token`: client credentials, JWT bearer, refresh token (with
 * rotation), password and authorization-code grants, with Salesforce's success and error JSON.
 *
 * @internal
 */
import * as Crypto from "node:crypto"
import { type App, checkPassword, type User } from "./directory.js"
import { basicCredentials, type EmuRequest, type EmuResponse, formBody, header, json, noCache, oauthError } from "./http.js"
import { exchangeCode } from "./authorize.js"
import { checkAssertion } from "./jwt.js"
import type { Session } from "./sessions.js"
import type { EmulatorState } from "./state.js"

const JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
const GENERIC_HOSTS = new Set(["login.salesforce.com", "test.salesforce.com"])
const NOT_FOR_CLIENT_CREDENTIALS = new Set(["full", "web", "offline_access", "refresh_token"])

const unsupportedGrant = () => oauthError("unsupported_grant_type", "grant type not supported")
const unknownClient = () => oauthError("invalid_client_id", "client identifier invalid")
const badClient = () => oauthError("invalid_client", "invalid client credentials")
const authFailure = () => oauthError("invalid_grant", "authentication failure")

/** `base64(HMAC-SHA256(client_secret, id + issued_at))`, standard base64. @internal */
export const signature = (secret: string, id: string, issuedAt: string): string =>
  Crypto.createHmac("sha256", secret).update(id + issuedAt).digest("base64")

const tokenResponse = (
  state: EmulatorState,
  session: Session,
  app: App,
  fields: { readonly refreshToken?: string | undefined; readonly scope: boolean; readonly signed: boolean }
): EmuResponse => {
  const id = state.identityUrl(session.user)
  const issuedAt = String(session.issuedAt)
  const body: Record<string, string> = { access_token: session.token }
  if (fields.refreshToken !== undefined) body["refresh_token"] = fields.refreshToken
  if (fields.signed && app.clientSecret !== undefined) body["signature"] = signature(app.clientSecret, id, issuedAt)
  if (fields.scope) body["scope"] = session.scopes.join(" ")
  body["instance_url"] = state.baseUrl
  body["id"] = id
  body["token_type"] = "Bearer"
  if (fields.signed) body["issued_at"] = issuedAt
  return json(200, body, noCache)
}

const succeed = (state: EmulatorState, grant: string, user: User | undefined): void => {
  state.metrics.grant(grant)
  if (user !== undefined) state.metrics.login(user.username)
}

/** Handles the token endpoint. @internal */
export const handleToken = (state: EmulatorState, request: EmuRequest): EmuResponse => {
  if (request.method !== "POST") return oauthError("invalid_request", "must use HTTP POST")
  const form = formBody(request)
  if (form === undefined) return unsupportedGrant()
  const grant = form.get("grant_type") ?? ""
  const basic = basicCredentials(request)
  const clientId = form.get("client_id") ?? basic?.clientId
  const clientSecret = form.get("client_secret") ?? basic?.clientSecret
  const app = clientId === undefined ? undefined : state.directory.apps.get(clientId)

  switch (grant) {
    case "client_credentials": {
      if (app === undefined) return unknownClient()
      const host = (header(request, "host") ?? "").split(":")[0]!.toLowerCase()
      if (GENERIC_HOSTS.has(host)) return oauthError("invalid_grant", "request not supported on this domain")
      if (!app.grants.has("client_credentials")) return unsupportedGrant()
      if (clientSecret === undefined || clientSecret !== app.clientSecret) return badClient()
      const user = app.runAs === undefined ? undefined : state.directory.user(app.runAs)
      if (user === undefined) return oauthError("invalid_grant", "no client credentials user enabled")
      if (user.locked) return authFailure()
      const scopes = app.scopes.filter((s) => !NOT_FOR_CLIENT_CREDENTIALS.has(s))
      const session = state.sessions.create({ user, grant, app, scopes })
      succeed(state, grant, user)
      return tokenResponse(state, session, app, { scope: true, signed: true })
    }
    case "password": {
      if (app === undefined) return unknownClient()
      if (!app.grants.has("password")) return authFailure()
      if (clientSecret === undefined || clientSecret !== app.clientSecret) return badClient()
      const username = form.get("username") ?? ""
      const user = state.directory.user(username)
      if (user === undefined) {
        state.metrics.failedLogin(username)
        return authFailure()
      }
      if (state.overLoginRate(user)) return oauthError("rate_limit_exceeded", "number of logins exceeded")
      if (user.locked || user.passwordExpired || checkPassword(user, form.get("password") ?? "") !== "ok") {
        state.metrics.failedLogin(user.username)
        return authFailure()
      }
      const session = state.sessions.create({ user, grant, app })
      succeed(state, grant, user)
      return tokenResponse(state, session, app, { scope: false, signed: true })
    }
    case "refresh_token": {
      if (app === undefined) return unknownClient()
      if (!app.grants.has("refresh_token")) return unsupportedGrant()
      if (clientSecret !== undefined && clientSecret !== app.clientSecret) return badClient()
      const presented = form.get("refresh_token")
      if (presented === null || presented === "") return oauthError("invalid_request", "refresh_token must be specified")
      const use = state.sessions.useRefreshToken(presented, app, state.rotation(app))
      if (use._tag === "Invalid") return oauthError("invalid_grant", "expired access/refresh token")
      const session = state.sessions.create({
        user: use.token.user,
        grant,
        app,
        scopes: use.token.scopes,
        refreshToken: use.token.token
      })
      succeed(state, grant, undefined)
      return tokenResponse(state, session, app, { refreshToken: use.next?.token, scope: true, signed: true })
    }
    case "authorization_code": {
      if (app === undefined) return unknownClient()
      return exchangeCode(state, app, form, clientSecret, (code, withRefreshToken) => {
        const refresh = withRefreshToken
          ? state.sessions.issueRefreshToken(app, code.user, { scopes: code.scopes })
          : undefined
        const session = state.sessions.create({
          user: code.user,
          grant,
          app,
          scopes: code.scopes,
          ...(refresh === undefined ? {} : { refreshToken: refresh.token })
        })
        succeed(state, grant, code.user)
        return {
          response: tokenResponse(state, session, app, { refreshToken: refresh?.token, scope: true, signed: true }),
          session: session.token,
          refreshToken: refresh?.token
        }
      })
    }
    case JWT_GRANT: {
      const assertion = form.get("assertion")
      if (assertion === null || assertion === "") return oauthError("invalid_grant", "invalid assertion")
      const check = checkAssertion(state, assertion)
      if (check._tag === "Error") return oauthError(check.error, check.description)
      if (state.overLoginRate(check.user)) return oauthError("rate_limit_exceeded", "number of logins exceeded")
      const session = state.sessions.create({ user: check.user, grant: "jwt_bearer", app: check.app })
      succeed(state, "jwt_bearer", check.user)
      return tokenResponse(state, session, check.app, { scope: true, signed: false })
    }
    default:
      return unsupportedGrant()
  }
}
