/**
 * The auxiliary OAuth endpoints: `/services/oauth2/introspect`, `/revoke`,
 * `/userinfo`, and the identity URL `/id/{org}/{user}`.
 *
 * @internal
 */
import type { User } from "./directory.js"
import { basicCredentials, bearerToken, type EmuRequest, type EmuResponse, empty, formBody, json, noCache, oauthError, text } from "./http.js"
import type { Session } from "./sessions.js"
import type { EmulatorState } from "./state.js"

const badToken = () => text(403, "Bad_OAuth_Token")

/** `POST /services/oauth2/introspect`. @internal */
export const handleIntrospect = (state: EmulatorState, request: EmuRequest): EmuResponse => {
  if (request.method !== "POST") return oauthError("invalid_request", "must use HTTP POST")
  const form = formBody(request) ?? new URLSearchParams()
  const basic = basicCredentials(request)
  const clientId = form.get("client_id") ?? basic?.clientId
  const clientSecret = form.get("client_secret") ?? basic?.clientSecret
  const app = clientId === undefined ? undefined : state.directory.apps.get(clientId)
  if (app === undefined) return oauthError("invalid_client_id", "client identifier invalid")
  if (clientSecret === undefined || clientSecret !== app.clientSecret) {
    return oauthError("invalid_client", "invalid client credentials")
  }
  const token = form.get("token") ?? ""
  const inactive = json(200, { active: false }, noCache)
  const mine = (clientIdOfToken: string | undefined) => app.introspectAll || clientIdOfToken === app.clientId
  const session = state.sessions.find(token)
  if (session !== undefined) {
    if (!mine(session.clientId)) return inactive
    const iat = Math.floor(session.issuedAt / 1000)
    return json(200, {
      active: true,
      scope: session.scopes.join(" "),
      client_id: session.clientId,
      username: session.user.username,
      sub: state.identityUrl(session.user),
      token_type: "access_token",
      exp: Math.floor(state.sessions.expiresAt(session) / 1000),
      iat,
      nbf: iat
    }, noCache)
  }
  const refresh = state.sessions.refreshTokens.get(token)
  if (refresh !== undefined && refresh.status === "active" && mine(refresh.clientId)) {
    return json(200, {
      active: true,
      scope: refresh.scopes.join(" "),
      client_id: refresh.clientId,
      username: refresh.user.username,
      sub: state.identityUrl(refresh.user),
      token_type: "refresh_token"
    }, noCache)
  }
  return inactive
}

/** `POST /services/oauth2/revoke` (or `GET ?token=`). @internal */
export const handleRevoke = (state: EmulatorState, request: EmuRequest): EmuResponse => {
  const form = request.method === "POST" ? formBody(request) : request.query
  if (form === undefined) return oauthError("unsupported_token_type", "unsupported token type")
  const token = form.get("token") ?? ""
  if (state.sessions.revoke(token) || state.sessions.revokeRefreshToken(token)) return empty(200, noCache)
  return oauthError("invalid_token", "invalid token")
}

const sessionOf = (state: EmulatorState, request: EmuRequest): Session | undefined => {
  const token = bearerToken(request) ?? request.query.get("oauth_token") ?? request.query.get("access_token")
  return token === undefined || token === null ? undefined : state.sessions.use(token)
}

const urls = (state: EmulatorState, user: User): Record<string, string> => {
  const base = state.baseUrl
  const org = state.options.orgId.slice(0, 15)
  return {
    enterprise: `${base}/services/Soap/c/{version}/${org}`,
    metadata: `${base}/services/Soap/m/{version}/${org}`,
    partner: `${base}/services/Soap/u/{version}/${org}`,
    rest: `${base}/services/data/v{version}/`,
    sobjects: `${base}/services/data/v{version}/sobjects/`,
    search: `${base}/services/data/v{version}/search/`,
    query: `${base}/services/data/v{version}/query/`,
    recent: `${base}/services/data/v{version}/recent/`,
    profile: `${base}/${user.userId}`,
    custom_domain: base
  }
}

/** `GET /services/oauth2/userinfo`. @internal */
export const handleUserInfo = (state: EmulatorState, request: EmuRequest): EmuResponse => {
  const session = sessionOf(state, request)
  if (session === undefined) return badToken()
  const { user } = session
  const name = [user.firstName, user.lastName].filter((p) => p !== "").join(" ")
  return json(200, {
    sub: state.identityUrl(user),
    user_id: user.userId,
    organization_id: state.options.orgId,
    preferred_username: user.username,
    nickname: user.username.split("@")[0],
    name,
    email: user.email,
    email_verified: true,
    given_name: user.firstName,
    family_name: user.lastName,
    zoneinfo: user.timeZone,
    photos: { picture: `${state.baseUrl}/img/userprofile/default_profile_200_v2.png`, thumbnail: `${state.baseUrl}/img/userprofile/default_profile_45_v2.png` },
    profile: `${state.baseUrl}/${user.userId}`,
    picture: `${state.baseUrl}/img/userprofile/default_profile_200_v2.png`,
    address: {},
    urls: urls(state, user),
    active: !user.locked,
    user_type: "STANDARD",
    language: "en_US",
    locale: "en_US",
    utcOffset: -28800000,
    updated_at: new Date(session.issuedAt).toISOString().replace(/\.\d+Z$/, "Z"),
    is_app_installed: session.clientId !== undefined
  })
}

/** `GET /id/{org}/{user}`. @internal */
export const handleIdentity = (state: EmulatorState, request: EmuRequest, orgId: string, userId: string): EmuResponse => {
  const session = sessionOf(state, request)
  if (session === undefined) return badToken()
  const user = state.directory.usersById.get(userId)
  if (orgId !== state.options.orgId || user === undefined) return text(404, "Not Found")
  return json(200, {
    id: state.identityUrl(user),
    asserted_user: user === session.user,
    user_id: user.userId,
    organization_id: state.options.orgId,
    username: user.username,
    nick_name: user.username.split("@")[0],
    display_name: [user.firstName, user.lastName].filter((p) => p !== "").join(" "),
    email: user.email,
    email_verified: true,
    first_name: user.firstName,
    last_name: user.lastName,
    timezone: user.timeZone,
    active: !user.locked,
    user_type: "STANDARD",
    language: "en_US",
    locale: "en_US",
    utcOffset: -28800000,
    urls: urls(state, user),
    is_app_installed: session.clientId !== undefined
  })
}
