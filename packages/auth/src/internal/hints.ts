/**
 * What to switch to when Salesforce refuses a flow that is being retired or that the app is not
 * set up for: one sentence naming the method to use and the auth README section that shows how.
 * Matched on Salesforce's codes and descriptions only (short, bounded texts).
 * @internal
 */

/** The README sections hints point to (headings of packages/auth/README.md). @internal */
export const sections = {
  movingOff: `the auth README, "Moving off SOAP login"`,
  refreshToken: `the auth README, "Getting a refresh token"`,
  clientCredentials: `the auth README, "ClientCredentials"`,
  jwtBearer: `the auth README, "JwtBearer"`
} as const

/** A hint for a SOAP login fault, if it says the operation is retired or disabled. @internal */
export const soapLogin = (code: string, message: string): string | undefined => {
  const text = message.slice(0, 500)
  if (code === "INVALID_OPERATION" && /login/i.test(text)) {
    return `SOAP login() is being retired (gone from API 65.0, off by default in orgs created from Winter '26, removed in Summer '27): switch to ClientCredentials or JwtBearer for a server integration, or AuthorizationCode then RefreshToken for a person's login; see ${sections.movingOff}`
  }
  if (code === "INSUFFICIENT_ACCESS" && /api|login/i.test(text)) {
    return `newer orgs require the "Use Any API Auth" permission for SOAP login(); better, switch to ClientCredentials, JwtBearer or AuthorizationCode; see ${sections.movingOff}`
  }
  return undefined
}

/** A hint for an OAuth token-endpoint error of a method, if there is a better way. @internal */
export const oauth = (method: string, error: string, description: string | undefined): string | undefined => {
  const text = (description ?? "").slice(0, 500)
  if (method === "ClientCredentials") {
    if (error === "invalid_grant" && /no client credentials user/i.test(text)) {
      return `the app has no Run As user for the client credentials flow: in the External Client App (or connected app), enable the Client Credentials Flow and set its Run As user; see ${sections.clientCredentials}`
    }
    if (error === "unsupported_grant_type") {
      return `the app does not allow the client credentials flow: enable it in the app's OAuth settings ("Enable Client Credentials Flow"), or use JwtBearer; see ${sections.clientCredentials}`
    }
  }
  if (method === "JwtBearer" && error === "unsupported_grant_type") {
    return `the app does not allow the JWT bearer flow: enable "Use digital signatures" with your certificate, or use ClientCredentials; see ${sections.jwtBearer}`
  }
  if (method === "RefreshToken" && error === "invalid_grant" && /expired|revoked|inactive/i.test(text)) {
    return `the refresh token is dead (revoked, expired by the app's policy, or rotated away): get a new one with "npx effect-salesforce login"; see ${sections.refreshToken}`
  }
  if (error === "unsupported_grant_type" && /password/i.test(method)) {
    return `the username-password flow is blocked (and ends 2027-02-20): switch to ClientCredentials, JwtBearer or AuthorizationCode; see ${sections.movingOff}`
  }
  return undefined
}
