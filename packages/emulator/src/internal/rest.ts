/**
 * REST API under `/services/data`: the versions list, session check, daily API usage
 * (`Sforce-Limit-Info` on every versioned response), the resource directory, `/limits`,
 * and dispatch to query and sObject handlers.
 *
 * @internal
 */
import { bearerToken, type EmuRequest, type EmuResponse, header, invalidSession, isRestError, json, notFound, restError } from "./http.js"
import { oldestApiVersion } from "./options.js"
import { handleQuery, type RestResult } from "./query.js"
import { handleSObjects } from "./sobjects.js"
import type { EmulatorState } from "./state.js"

const SEASONS = ["Winter", "Spring", "Summer"] as const

/** `59.0` is Winter '24; three releases a year. @internal */
export const releaseLabel = (major: number): string => {
  const offset = major - 59
  const season = SEASONS[((offset % 3) + 3) % 3]!
  return `${season} '${24 + Math.floor(offset / 3)}`
}

const versions = (state: EmulatorState) => {
  const out = []
  for (let v = oldestApiVersion; v <= state.options.latestApiVersion; v++) {
    out.push({ label: releaseLabel(v), url: `/services/data/v${v}.0`, version: `${v}.0` })
  }
  return out
}

const directory = (version: string) => {
  const base = `/services/data/v${version}`
  const names = [
    "tooling",
    "metadata",
    "eclair",
    "folders",
    "prechatForms",
    "contact-tracing",
    "jsonxform",
    "chatter",
    "tabs",
    "appMenu",
    "quickActions",
    "queryAll",
    "commerce",
    "wave",
    "iot",
    "analytics",
    "search",
    "identity",
    "composite",
    "parameterizedSearch",
    "fingerprint",
    "theme",
    "nouns",
    "event",
    "serviceTemplates",
    "recent",
    "connect",
    "licensing",
    "limits",
    "process",
    "async-queries",
    "query",
    "match",
    "emailConnect",
    "compactLayouts",
    "knowledgeManagement",
    "sobjects",
    "actions",
    "support"
  ]
  return Object.fromEntries(names.map((n) => [n, `${base}/${n}`]))
}

const limits = (state: EmulatorState) => {
  const max = state.options.apiUsageLimit
  const fixed = (n: number) => ({ Max: n, Remaining: n })
  return {
    ConcurrentAsyncGetReportInstances: fixed(200),
    ConcurrentSyncReportRuns: fixed(20),
    DailyApiRequests: { Max: max, Remaining: Math.max(0, max - state.metrics.apiUsed) },
    DailyAsyncApexExecutions: fixed(250000),
    DailyBulkApiBatches: fixed(15000),
    DailyBulkV2QueryFileStorageMB: fixed(976562),
    DailyBulkV2QueryJobs: fixed(10000),
    DailyStreamingApiEvents: fixed(10000),
    DataStorageMB: fixed(5),
    FileStorageMB: fixed(20),
    HourlyODataCallout: fixed(1000),
    HourlyTimeBasedWorkflow: fixed(50),
    MassEmail: fixed(10),
    SingleEmail: fixed(15)
  }
}

const respond = (result: RestResult, headers: Record<string, string>, pretty: boolean): EmuResponse => {
  if (isRestError(result)) return json(result.status, result.errors, headers, pretty)
  if (result.body === undefined) return { status: result.status, headers, body: "" }
  return json(result.status, result.body, headers, pretty)
}

/** `rest` is what follows `/services/data`. @internal */
export const handleRest = (state: EmulatorState, request: EmuRequest, rest: string): EmuResponse => {
  const pretty = header(request, "x-prettyprint") === "1"
  if (rest === "" || rest === "/") {
    return request.method === "GET"
      ? json(200, versions(state), {}, pretty)
      : json(405, [{ errorCode: "METHOD_NOT_ALLOWED", message: `HTTP Method '${request.method}' not allowed. Allowed are GET,HEAD` }])
  }
  const match = /^\/(?:v(\d+)\.(\d+)|(latest))(\/.*)?$/.exec(rest)
  if (match === null) return json(404, notFound().errors, {}, pretty)
  const major = match[3] === "latest" ? state.options.latestApiVersion : Number(match[1])
  if (match[3] === undefined && match[2] !== "0") return json(404, notFound().errors, {}, pretty)
  if (major < oldestApiVersion) {
    return json(410, [{ errorCode: "GONE", message: "The requested resource no longer exists" }], {}, pretty)
  }
  if (major > state.options.latestApiVersion) return json(404, notFound().errors, {}, pretty)
  const version = `${major}.0`
  const usage = () => ({ "sforce-limit-info": `api-usage=${state.metrics.apiUsed}/${state.options.apiUsageLimit}` })

  const token = bearerToken(request)
  const session = token === undefined ? undefined : state.sessions.use(token)
  if (session === undefined) return respond(invalidSession(), usage(), pretty)
  if (session.restricted) {
    return respond(
      invalidSession("The users password has expired, you must call SetPassword before attempting any other API operations"),
      usage(),
      pretty
    )
  }
  if (session.clientId !== undefined && !session.scopes.includes("api") && !session.scopes.includes("full")) {
    return respond(invalidSession("This session is not valid for use with the REST API"), usage(), pretty)
  }
  if (state.metrics.apiUsed >= state.options.apiUsageLimit) {
    return respond(restError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."), usage(), pretty)
  }
  state.metrics.apiUsed++

  const path = match[4] ?? ""
  const resource = /^\/([^/]*)(.*)$/.exec(path)
  const name = resource?.[1] ?? ""
  const tail = resource?.[2] ?? ""
  let result: RestResult
  if (name === "") {
    result = request.method === "GET" ? { status: 200, body: directory(version) } : notFound()
  } else if (name === "limits" && tail === "") {
    result = request.method === "GET" ? { status: 200, body: limits(state) } : notFound()
  } else if (name === "query" || name === "queryAll") {
    result = handleQuery(state, request, version, name, tail)
  } else if (name === "sobjects") {
    result = handleSObjects(state, request, session, version, tail)
  } else {
    result = notFound()
  }
  return respond(result, usage(), pretty)
}
