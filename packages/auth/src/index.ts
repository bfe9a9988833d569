/**
 * An access token and what is known about it.
 * @since 0.1.0
 */
export * as AccessToken from "./AccessToken.js"

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
 * The service that hands out access tokens; `make` is the custom-auth API.
 * @since 0.1.0
 */
export * as TokenProvider from "./TokenProvider.js"
