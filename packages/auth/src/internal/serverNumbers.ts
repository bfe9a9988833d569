/**
 * Numbers that servers send, read strictly: plain decimal digits only (no `0x10`, `1e3`, signs,
 * spaces or fractions, which `Number()` would accept) and within a sane range, so an absurd
 * value (`sessionSecondsValid=8640000000001`) is refused as malformed instead of becoming an
 * expiry no date can hold.
 * @internal
 */
import * as Schema from "effect/Schema"

/** How much of a server's message (a fault string, an `error_description`) an error keeps. @internal */
export const maxServerMessage = 2_000

/** The longest lifetime a server may report for a session or token: one year (Salesforce's sessions last 24 hours at most). @internal */
export const maxLifetimeSeconds = 365 * 24 * 60 * 60

/** The latest epoch second accepted (the end of year 9999, as `DateTime` can hold). @internal */
export const maxEpochSeconds = 253_402_300_799

/** `text` as a number when it is 1 to `maxDigits` plain decimal digits, else `undefined`. @internal */
export const parseDigits = (text: string, maxDigits: number): number | undefined =>
  text.length >= 1 && text.length <= maxDigits && /^[0-9]+$/.test(text) ? Number(text) : undefined

/** A duration in whole seconds, written as plain digits, from 1 to {@link maxLifetimeSeconds}. @internal */
export const LifetimeSeconds = Schema.compose(
  Schema.String.pipe(Schema.pattern(/^[0-9]{1,9}$/)),
  Schema.NumberFromString
).pipe(Schema.compose(Schema.Number.pipe(Schema.int(), Schema.between(1, maxLifetimeSeconds))))

/** An epoch time in seconds (a JSON number), from 0 to {@link maxEpochSeconds}. @internal */
export const EpochSeconds = Schema.Number.pipe(Schema.int(), Schema.between(0, maxEpochSeconds))

/**
 * `issued_at` (epoch milliseconds, a string of digits or a whole number) as a number, or
 * `undefined` when it is anything else or out of range.
 * @internal
 */
export const epochMillis = (value: string | number | undefined): number | undefined => {
  const millis = typeof value === "string" ? parseDigits(value, 16) : value
  return millis !== undefined && Number.isSafeInteger(millis) && millis >= 0 && millis <= maxEpochSeconds * 1000
    ? millis
    : undefined
}
