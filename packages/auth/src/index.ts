/**
 * An access token and what is known about it.
 * @since 0.1.0
 */
export * as AccessToken from "./AccessToken.js"

/**
 * OAuth 2.0 web-server flow with PKCE: authorize URL, loopback redirect receiver, code exchange.
 * @since 0.1.0
 */
export * as AuthorizationCode from "./AuthorizationCode.js"

/**
 * The typed errors of the auth layers.
 * @since 0.1.0
 */
export * as AuthError from "./AuthError.js"

/**
 * The HTTP path of token calls, for built-in and custom auth.
 * @since 0.1.0
 */
export * as AuthHttp from "./AuthHttp.js"

/**
 * OAuth 2.0 client-credentials flow: a connected app's key and secret, on the org's My Domain.
 * @since 0.1.0
 */
export * as ClientCredentials from "./ClientCredentials.js"

/**
 * OAuth 2.0 JWT bearer flow: an RS256 assertion signed with the connected app's private key.
 * @since 0.1.0
 */
export * as JwtBearer from "./JwtBearer.js"

/**
 * OAuth 2.0 refresh-token flow, keeping rotated refresh tokens.
 * @since 0.1.0
 */
export * as RefreshToken from "./RefreshToken.js"

/**
 * The retry policy shared by token calls and client requests.
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * Where to log in and which API version to speak.
 * @since 0.1.0
 */
export * as SalesforceConfig from "./SalesforceConfig.js"

/**
 * A provider for local development from the org the Salesforce CLI is logged into.
 * @since 0.1.0
 */
export * as SalesforceCli from "./SalesforceCli.js"

/**
 * The events of the auth and client layers.
 * @since 0.1.0
 */
export * as SalesforceEvent from "./SalesforceEvent.js"

/**
 * The event bus.
 * @since 0.1.0
 */
export * as SalesforceEvents from "./SalesforceEvents.js"

/**
 * SOAP `login()` with username, password and security token (legacy; pinned to API 64.0).
 * @since 0.1.0
 */
export * as SoapLogin from "./SoapLogin.js"

/**
 * The service that hands out access tokens; `make` is the custom-auth API.
 * @since 0.1.0
 */
export * as TokenProvider from "./TokenProvider.js"
