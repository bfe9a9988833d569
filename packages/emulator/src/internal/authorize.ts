/**
 * The web-server (authorization-code) flow: `GET /services/oauth2/authorize` approves (or
 * denies) as the configured user and redirects with a single-use code and `state`; the token
 * endpoint's `authorization_code` grant checks the code, its client, the redirect URI and the
 * PKCE verifier (S256 or plain).
 *
 * Errors as Salesforce's: before the client and its callback URL are known to be good, the
 * browser is sent to Salesforce's own error page (`/setup/secur/RemoteAccessErrorPage.apexp`,
 * never to an unchecked `redirect_uri`); after, the error goes in the redirect's query. The
 * token step answers with the OAuth error JSON.
 *
 * @internal
 */
import * as Crypto from "node:crypto"
import type { App, User } from "./directory.js"
import { type EmuRequest, type EmuResponse, formBody, oauthError } from "./http.js"
import { randomText } from "./ids.js"
import type { EmulatorState } from "./state.js"

/** Salesforce's error page for authorize requests that cannot be redirected. @internal */
export const ERROR_PAGE = "/setup/secur/RemoteAccessErrorPage.apexp"

/** An issued authorization code. @internal */
export interface IssuedCode {
  readonly code: string
  readonly app: App
  readonly user: User
  readonly redirectUri: string
  readonly scopes: ReadonlyArray<string>
  readonly challenge: string | undefined
  readonly challengeMethod: "S256" | "plain"
  readonly expiresAt: number
  used: boolean
  /** What its exchange issued: revoked if the code is presented again. */
  issued: { readonly session: string; readonly refreshToken: string | undefined } | undefined
}

const REFRESH_SCOPES = new Set(["refresh_token", "offline_access"])
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

const redirect = (location: string): EmuResponse => ({
  status: 302,
  headers: { location, "cache-control": "no-cache,must-revalidate,max-age=0,no-store,private" },
  body: ""
})

const withQuery = (base: string, params: Readonly<Record<string, string | undefined>>): string => {
  const url = new URL(base)
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value)
  return url.toString()
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** `GET /setup/secur/RemoteAccessErrorPage.apexp?error=...&error_description=...`. @internal */
export const handleErrorPage = (request: EmuRequest): EmuResponse => {
  const error = (request.query.get("error") ?? "unknown_error").slice(0, 200)
  const description = (request.query.get("error_description") ?? "").slice(0, 500)
  return {
    status: 200,
    headers: { "content-type": "text/html;charset=UTF-8" },
    body: `<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Remote Access Error</h1><p>error=${
      escapeHtml(error)
    }</p><p>error_description=${escapeHtml(description)}</p></body></html>`
  }
}

/** The scopes an app can grant, with `offline_access` and `refresh_token` as one. */
const allows = (app: App, scope: string): boolean =>
  app.scopes.includes(scope) || (REFRESH_SCOPES.has(scope) && app.scopes.some((s) => REFRESH_SCOPES.has(s)))

/** `GET` (or form `POST`) `/services/oauth2/authorize`. @internal */
export const handleAuthorize = (state: EmulatorState, request: EmuRequest): EmuResponse => {
  const params = request.method === "POST" ? formBody(request) ?? request.query : request.query
  const errorPage = (error: string, description: string) =>
    redirect(withQuery(state.baseUrl + ERROR_PAGE, { error, error_description: description }))
  const clientId = params.get("client_id") ?? ""
  const app = state.directory.apps.get(clientId)
  if (app === undefined) return errorPage("invalid_client_id", "client identifier invalid")
  const redirectUri = params.get("redirect_uri") ?? ""
  if (!app.callbackUrls.includes(redirectUri)) return errorPage("redirect_uri_mismatch", "redirect_uri must match configuration")
  const stateParam = params.get("state") ?? undefined
  const back = (error: string, description: string) =>
    redirect(withQuery(redirectUri, { error, error_description: description, state: stateParam }))
  if (params.get("response_type") !== "code") {
    return back("unsupported_response_type", "response type not supported")
  }
  if (!app.grants.has("authorization_code")) return back("invalid_request", "authorization code flow not enabled for this app")
  const requested = (params.get("scope") ?? "").split(/\s+/).filter((s) => s !== "")
  if (requested.some((scope) => !allows(app, scope))) return back("invalid_scope", "the requested scope is not allowed")
  const challenge = params.get("code_challenge") ?? undefined
  const method = params.get("code_challenge_method") ?? (challenge === undefined ? undefined : "plain")
  if (method !== undefined && method !== "S256" && method !== "plain") {
    return back("invalid_request", "invalid code_challenge_method")
  }
  if (challenge !== undefined && !VERIFIER.test(challenge)) return back("invalid_request", "invalid code_challenge")
  const decision = state.authorization
  if (decision._tag === "Deny") return back("access_denied", "end-user denied authorization")
  const hint = params.get("login_hint") ?? undefined
  const username = decision.username ??
    (hint !== undefined && state.directory.user(hint) !== undefined ? hint : undefined) ??
    state.options.authorizeAs ??
    state.options.users[0]?.username
  const user = username === undefined ? undefined : state.directory.user(username)
  if (user === undefined || user.locked) return back("access_denied", "end-user denied authorization")
  const now = state.now()
  if (state.codes.size > 256) for (const [key, old] of state.codes) if (old.expiresAt <= now) state.codes.delete(key)
  const code = `aPrx${randomText(64)}==`
  state.codes.set(code, {
    code,
    app,
    user,
    redirectUri,
    scopes: requested.length === 0 ? app.scopes : requested,
    challenge,
    challengeMethod: method === "S256" ? "S256" : "plain",
    expiresAt: now + state.options.authorizationCodeLifetimeMs,
    used: false,
    issued: undefined
  })
  return redirect(withQuery(redirectUri, { code, state: stateParam }))
}

const expiredCode = () => oauthError("invalid_grant", "expired authorization code")

const verifierMatches = (issued: IssuedCode, verifier: string | null): boolean => {
  if (issued.challenge === undefined) return true
  if (verifier === null || !VERIFIER.test(verifier)) return false
  const expected = issued.challengeMethod === "S256"
    ? Crypto.createHash("sha256").update(verifier).digest("base64url")
    : verifier
  const a = Buffer.from(expected)
  const b = Buffer.from(issued.challenge)
  return a.length === b.length && Crypto.timingSafeEqual(a, b)
}

/**
 * The token endpoint's `authorization_code` grant, for a known `app`. `issue` creates the
 * session and answers; it is given whether a refresh token is due.
 * @internal
 */
export const exchangeCode = (
  state: EmulatorState,
  app: App,
  form: URLSearchParams,
  clientSecret: string | undefined,
  issue: (code: IssuedCode, withRefreshToken: boolean) => { readonly response: EmuResponse; readonly session: string; readonly refreshToken: string | undefined }
): EmuResponse => {
  if (!app.grants.has("authorization_code")) return oauthError("unsupported_grant_type", "grant type not supported")
  if (clientSecret !== undefined && clientSecret !== app.clientSecret) return oauthError("invalid_client", "invalid client credentials")
  if (clientSecret === undefined && app.requireSecretForWebServerFlow) {
    return oauthError("invalid_client", "invalid client credentials")
  }
  const presented = form.get("code") ?? ""
  if (presented === "") return oauthError("invalid_request", "code must be specified")
  const issued = state.codes.get(presented)
  if (issued === undefined || issued.app !== app) return expiredCode()
  if (issued.used) {
    // a code presented twice: what its first exchange issued is revoked too (RFC 6749 §4.1.2)
    if (issued.issued !== undefined) {
      state.sessions.revoke(issued.issued.session)
      if (issued.issued.refreshToken !== undefined) state.sessions.revokeRefreshToken(issued.issued.refreshToken)
    }
    return expiredCode()
  }
  if (state.now() >= issued.expiresAt) {
    state.codes.delete(presented)
    return expiredCode()
  }
  issued.used = true
  if (form.get("redirect_uri") !== issued.redirectUri) {
    return oauthError("redirect_uri_mismatch", "redirect_uri must match configuration")
  }
  if (!verifierMatches(issued, form.get("code_verifier"))) return oauthError("invalid_grant", "invalid code verifier")
  const result = issue(issued, issued.scopes.some((s) => REFRESH_SCOPES.has(s)))
  issued.issued = { session: result.session, refreshToken: result.refreshToken }
  return result.response
}
