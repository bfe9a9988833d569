/**
 * A `TokenStore` on Redis: one token and one refresh for a fleet of processes.
 * @since 0.1.0
 */
export * as RedisTokenStore from "./RedisTokenStore.js"
