/**
 * The Salesforce REST client service: `execute`, `httpClient`, `query`, `queryAll`,
 * `sobject`, `limits`.
 * @since 0.1.0
 */
export * as Salesforce from "./Salesforce.js"

/**
 * The typed errors of the client.
 * @since 0.1.0
 */
export * as SalesforceError from "./SalesforceError.js"

/**
 * Safe SOQL literals and a `soql` tagged template.
 * @since 0.1.0
 */
export * as Soql from "./Soql.js"
