/**
 * Reading Salesforce's error bodies and mapping a refused response to a tagged error.
 * Defensive: an array or an object, `errorCode` or `statusCode`, JSON or not (HTML pages from
 * the edge, plain text).
 * @internal
 */
import * as Predicate from "effect/Predicate"
import {
  type ApiErrorEntry,
  AuthorizationError,
  type DuplicateMatch,
  DuplicatesDetectedError,
  type LimitKind,
  MoreThanOneRecordError,
  NotFoundError,
  RequestLimitExceededError,
  SalesforceApiError,
  type SalesforceError,
  ServerError,
  SessionRejectedError,
  type SessionRejectedReason
} from "../SalesforceError.js"
import { boundedJson, clip } from "./bounded.js"
import { parseJson } from "./json.js"
import * as Text from "./text.js"

/** What the pipeline hands to the mapper: a whole response, body read (and scrubbed of the request's secrets). @internal */
export interface Exchange {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly text: string
  /** `GET /services/data/...` */
  readonly description: string
  /** The server's `Retry-After`, in milliseconds. */
  readonly retryAfterMillis?: number | undefined
}

/** @internal */
export { parseJson }

const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

const toEntry = (u: unknown): ApiErrorEntry | undefined => {
  if (!Predicate.isRecord(u)) return undefined
  const errorCode = str(u.errorCode) ?? str(u.statusCode) ?? str(u.error)
  const message = str(u.message) ?? str(u.error_description)
  if (errorCode === undefined && message === undefined) return undefined
  const fields = Array.isArray(u.fields)
    ? u.fields.slice(0, maxKept).filter(Predicate.isString).map((field) => clip(field, 256))
    : undefined
  return {
    errorCode: clip(errorCode ?? "UNKNOWN_ERROR", 256),
    message: clip(message ?? errorCode ?? "", maxMessage),
    ...(fields === undefined ? {} : { fields })
  }
}

/** How many entries (of an error array, of `fields`, of a 300's URLs) an error keeps. @internal */
export const maxKept = 100

/** How much of one server message an error keeps. @internal */
export const maxMessage = 2_000

/** The error entries of a body (at most {@link maxKept}), `[]` when it has none we can read. @internal */
export const errorEntries = (body: unknown): ReadonlyArray<ApiErrorEntry> => {
  const items = Array.isArray(body) ? body.slice(0, maxKept) : [body]
  return items.map(toEntry).filter(Predicate.isNotUndefined)
}

/**
 * A short, readable summary of a body that is not Salesforce's JSON: linear in a bounded
 * prefix of the body (see `text.ts`), whatever the server sent.
 * @internal
 */
export const summarize = (exchange: Exchange): string => {
  const type = (exchange.headers["content-type"] ?? "").slice(0, 200)
  let text = exchange.text.slice(0, Text.summaryPrefix)
  if (type.toLowerCase().includes("html") || Text.looksLikeMarkup(text)) {
    text = Text.htmlTitle(text) ?? Text.markupToText(text)
  }
  text = text.replace(/\s+/g, " ").trim()
  if (text.length > 200) text = `${text.slice(0, 200)}…`
  const kind = type === "" ? "" : ` (${type.split(";")[0]!.trim()})`
  return text === "" ? `HTTP ${exchange.status} with an empty body${kind}` : `HTTP ${exchange.status}${kind}: ${text}`
}

/**
 * 401 messages that say a new token cannot help (protocol §5.1): "not valid for use with the
 * REST API", "not attached to Agent", a password … expired, IP … restricted / not allowed,
 * "restricted". Read within a bounded prefix, without regular expressions.
 * @internal
 */
export const isUnfixable401Message = (message: string): boolean =>
  Text.mentions(message, "not valid for use with the rest api") ||
  Text.mentions(message, "not attached to agent") ||
  Text.inOrder(message, "password", "expired") ||
  Text.inOrder(message, "ip", "restrict", "not allowed") ||
  Text.mentions(message, "restricted")

/**
 * Is this 401 worth a token refresh? Only `INVALID_SESSION_ID` (or a body we cannot read),
 * and not one of the messages that a new token cannot fix.
 * @internal
 */
export const isRefreshable401 = (entries: ReadonlyArray<ApiErrorEntry>): boolean => {
  if (entries.length === 0) return true
  const first = entries[0]!
  return first.errorCode === "INVALID_SESSION_ID" && !isUnfixable401Message(first.message)
}

const likelyCauses =
  "likely causes: the user's profile lacks \"API Enabled\", the session is locked to another IP address, " +
  "IP restrictions refuse this host, or the token belongs to another org or instance"

/** The failure for a 401 that a refresh did not or cannot fix. @internal */
export const sessionRejected = (
  exchange: Exchange,
  entries: ReadonlyArray<ApiErrorEntry>,
  reason: SessionRejectedReason,
  cooldownMillis: number
): SessionRejectedError => {
  const first = entries[0]
  const message = first?.message ?? summarize(exchange)
  const explanation = reason === "Unfixable"
    ? "a new token cannot fix this"
    : reason === "AfterRefresh"
    ? `refused again with a fresh token; ${likelyCauses}; requests with this token now fail at once for ${
      Math.round(cooldownMillis / 1000)
    } s`
    : `a fresh token was refused moments ago; failing at once, without a request or a login, until the cool-down ends; ${likelyCauses}`
  return new SessionRejectedError({
    status: exchange.status,
    errorCode: first?.errorCode ?? "INVALID_SESSION_ID",
    message: `${message} (${explanation})`,
    request: exchange.description,
    fields: first?.fields ?? [],
    errors: entries,
    reason
  })
}

const limitKind = (status: number, message: string): LimitKind =>
  status === 429
    ? "RateLimited"
    : Text.mentions(message, "totalrequests")
    ? "Daily"
    : Text.mentions(message, "concurrent")
    ? "Concurrent"
    : "Other"

const duplicatesOf = (duplicateResult: unknown): ReadonlyArray<DuplicateMatch> => {
  if (!Predicate.isRecord(duplicateResult) || !Array.isArray(duplicateResult.matchResults)) return []
  return duplicateResult.matchResults.flatMap((result: unknown) => {
    if (!Predicate.isRecord(result) || !Array.isArray(result.matchRecords)) return []
    const rule = str(result.rule)
    return result.matchRecords.flatMap((match: unknown): Array<DuplicateMatch> => {
      if (!Predicate.isRecord(match) || !Predicate.isRecord(match.record)) return []
      const record = match.record as Record<string, unknown>
      const attributes = Predicate.isRecord(record.attributes) ? record.attributes : {}
      const url = str(attributes.url)
      const id = str(record.Id) ?? url?.split("/").pop()
      const sobject = str(attributes.type) ?? str(result.entityType)
      const confidence = typeof match.matchConfidence === "number" ? match.matchConfidence : undefined
      return [{
        record,
        ...(id === undefined ? {} : { id }),
        ...(sobject === undefined ? {} : { sobject }),
        ...(url === undefined ? {} : { url }),
        ...(confidence === undefined ? {} : { matchConfidence: confidence }),
        ...(rule === undefined ? {} : { rule })
      }]
    })
  })
}

/** Map a refused response (any status but 2xx and 401) to its tagged error. @internal */
export const fromExchange = (exchange: Exchange): SalesforceError => {
  const { status } = exchange
  const body = parseJson(exchange.text)
  const entries = errorEntries(body)
  const first = entries[0]
  const retryAfter = exchange.retryAfterMillis
  const common = {
    status,
    errorCode: first?.errorCode ?? `HTTP_${status}`,
    message: first?.message ?? summarize(exchange),
    request: exchange.description,
    fields: first?.fields ?? [],
    errors: entries,
    ...(retryAfter === undefined ? {} : { retryAfterMillis: retryAfter })
  }
  if (status === 300) {
    const urls = Array.isArray(body) ? body.slice(0, maxKept).filter(Predicate.isString).map((url) => clip(url, 2_000)) : []
    return new MoreThanOneRecordError({
      ...common,
      errorCode: "MULTIPLE_CHOICES",
      message: `the external id matched ${urls.length} records`,
      urls
    })
  }
  if (common.errorCode === "REQUEST_LIMIT_EXCEEDED" || status === 429) {
    return new RequestLimitExceededError({ ...common, kind: limitKind(status, common.message) })
  }
  if (common.errorCode === "DUPLICATES_DETECTED") {
    const raw = Array.isArray(body) ? body[0] : body
    // kept on the error: a bounded copy, so printing the error never throws
    const duplicateResult = Predicate.isRecord(raw) ? boundedJson(raw.duplicateResult) : undefined
    const rule = Predicate.isRecord(duplicateResult) ? str(duplicateResult.duplicateRule) : undefined
    return new DuplicatesDetectedError({
      ...common,
      duplicates: duplicatesOf(duplicateResult),
      duplicateResult,
      ...(rule === undefined ? {} : { duplicateRule: rule })
    })
  }
  if (status === 404) return new NotFoundError(common)
  if (status === 403) return new AuthorizationError(common)
  if (status >= 500) return new ServerError(common)
  return new SalesforceApiError(common)
}
