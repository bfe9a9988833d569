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
export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

const toEntry = (u: unknown): ApiErrorEntry | undefined => {
  if (!Predicate.isRecord(u)) return undefined
  const errorCode = str(u.errorCode) ?? str(u.statusCode) ?? str(u.error)
  const message = str(u.message) ?? str(u.error_description)
  if (errorCode === undefined && message === undefined) return undefined
  const fields = Array.isArray(u.fields) ? u.fields.filter(Predicate.isString) : undefined
  return {
    errorCode: errorCode ?? "UNKNOWN_ERROR",
    message: message ?? errorCode ?? "",
    ...(fields === undefined ? {} : { fields })
  }
}

/** The error entries of a body, `[]` when it has none we can read. @internal */
export const errorEntries = (body: unknown): ReadonlyArray<ApiErrorEntry> => {
  const items = Array.isArray(body) ? body : [body]
  return items.map(toEntry).filter(Predicate.isNotUndefined)
}

/** A short, readable summary of a body that is not Salesforce's JSON. @internal */
export const summarize = (exchange: Exchange): string => {
  const type = exchange.headers["content-type"] ?? ""
  let text = exchange.text
  if (/html/i.test(type) || /^\s*</.test(text)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1]
    text = title ?? text.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, " ").replace(/<[^>]+>/g, " ")
  }
  text = text.replace(/\s+/g, " ").trim()
  if (text.length > 200) text = `${text.slice(0, 200)}…`
  const kind = type === "" ? "" : ` (${type.split(";")[0]!.trim()})`
  return text === "" ? `HTTP ${exchange.status} with an empty body${kind}` : `HTTP ${exchange.status}${kind}: ${text}`
}

/** 401 messages that say a new token cannot help (protocol §5.1). @internal */
export const unfixable401 = [
  /not valid for use with the REST API/i,
  /not attached to Agent/i,
  /password.*expired/i,
  /IP.*(restrict|not allowed)/i,
  /restricted/i
]

/**
 * Is this 401 worth a token refresh? Only `INVALID_SESSION_ID` (or a body we cannot read),
 * and not one of the messages that a new token cannot fix.
 * @internal
 */
export const isRefreshable401 = (entries: ReadonlyArray<ApiErrorEntry>): boolean => {
  if (entries.length === 0) return true
  const first = entries[0]!
  return first.errorCode === "INVALID_SESSION_ID" && !unfixable401.some((re) => re.test(first.message))
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
    : /TotalRequests/i.test(message)
    ? "Daily"
    : /ConcurrentPerOrgLongTxn|Concurrent/i.test(message)
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
    const urls = Array.isArray(body) ? body.filter(Predicate.isString) : []
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
    const duplicateResult = Predicate.isRecord(raw) ? raw.duplicateResult : undefined
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
