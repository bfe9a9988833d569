/**
 * `GET /query?q=` and `/queryAll?q=` with `nextRecordsUrl` pagination through
 * query cursors (`/query/01g...-2000`) that die after 15 idle minutes.
 *
 * @internal
 */
import { type EmuRequest, header, restError, type RestError } from "./http.js"
import { queryLocator } from "./ids.js"
import { parse, run, SoqlError } from "./soql.js"
import { CURSOR_IDLE_MS, type EmulatorState } from "./state.js"
import { recordUrl, type StoredRecord } from "./store.js"

/** A successful REST answer body, or an error. @internal */
export type RestResult = { readonly status: number; readonly body: unknown } | RestError

const batchSizeFor = (state: EmulatorState, request: EmuRequest): number => {
  const options = header(request, "sforce-query-options") ?? ""
  const match = /batchSize\s*=\s*(\d+)/i.exec(options)
  const requested = match === null ? undefined : Math.min(2000, Math.max(200, Number(match[1])))
  return Math.min(state.options.queryBatchSize, requested ?? Infinity)
}

const project = (version: string, record: StoredRecord, fields: ReadonlyArray<string>): Record<string, unknown> => {
  const row: Record<string, unknown> = { attributes: { type: record.type.name, url: recordUrl(version, record) } }
  for (const field of fields) row[field] = record.fields[field] ?? null
  return row
}

const invalidLocator = () => restError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")

const page = (
  state: EmulatorState,
  version: string,
  kind: "query" | "queryAll",
  locator: string,
  rows: ReadonlyArray<unknown>,
  offset: number,
  batchSize: number
): RestResult => {
  const end = offset + batchSize
  const body: Record<string, unknown> = { totalSize: rows.length, done: end >= rows.length }
  if (end < rows.length) body["nextRecordsUrl"] = `/services/data/v${version}/${kind}/${locator}-${end}`
  body["records"] = rows.slice(offset, end)
  if (end >= rows.length) state.cursors.delete(locator)
  return { status: 200, body }
}

const dropIdleCursors = (state: EmulatorState) => {
  const now = state.now()
  for (const [locator, cursor] of state.cursors) {
    if (now - cursor.lastUsedAt > CURSOR_IDLE_MS) state.cursors.delete(locator)
  }
}

/** `rest` is what follows `/query` or `/queryAll`. @internal */
export const handleQuery = (
  state: EmulatorState,
  request: EmuRequest,
  version: string,
  kind: "query" | "queryAll",
  rest: string
): RestResult => {
  if (request.method !== "GET") {
    return restError(405, "METHOD_NOT_ALLOWED", `HTTP Method '${request.method}' not allowed. Allowed are GET,HEAD`)
  }
  dropIdleCursors(state)
  if (rest !== "" && rest !== "/") {
    const match = /^\/([A-Za-z0-9]{15,18})-(\d+)$/.exec(rest)
    const cursor = match === null ? undefined : state.cursors.get(match[1]!)
    if (match === null || cursor === undefined) return invalidLocator()
    const offset = Number(match[2])
    if (offset >= cursor.rows.length) return invalidLocator()
    cursor.lastUsedAt = state.now()
    return page(state, version, kind, match[1]!, cursor.rows, offset, cursor.batchSize)
  }
  const soql = request.query.get("q")
  if (soql === null || soql.trim() === "") {
    return restError(400, "MALFORMED_QUERY", "A query string has to be specified")
  }
  let query
  try {
    query = parse(soql, (name) => state.store.type(name))
  } catch (error) {
    if (error instanceof SoqlError) return restError(400, error.errorCode, error.message)
    throw error
  }
  const candidates = state.store.all(query.type).filter((r) => kind === "queryAll" || !r.deleted)
  const selected = run(query, candidates)
  if (query.fields === "count") return { status: 200, body: { totalSize: selected.length, done: true, records: [] } }
  const fields = query.fields
  const rows = selected.map((r) => project(version, r, fields))
  const batchSize = batchSizeFor(state, request)
  if (rows.length <= batchSize) return page(state, version, kind, "", rows, 0, batchSize)
  const locator = queryLocator()
  state.cursors.set(locator, { rows, path: kind, batchSize, lastUsedAt: state.now() })
  return page(state, version, kind, locator, rows, 0, batchSize)
}
