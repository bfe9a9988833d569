/**
 * `/sobjects`: describe, create, read, update, delete, and read / upsert / delete by
 * external id (201 created, 200 or 204 updated, 300 on several matches).
 *
 * @internal
 */
import { type EmuRequest, header, notFound, restError, type RestError } from "./http.js"
import type { RestResult } from "./query.js"
import type { SObjectType } from "./schema.js"
import type { Session } from "./sessions.js"
import type { EmulatorState } from "./state.js"
import { recordUrl, type StoredRecord, type WriteContext, type WriteResult } from "./store.js"

const methodNotAllowed = (method: string, allowed: string) =>
  restError(405, "METHOD_NOT_ALLOWED", `HTTP Method '${method}' not allowed. Allowed are ${allowed}`)

/** The body as JSON, or Salesforce's `JSON_PARSER_ERROR`. @internal */
export const parseJsonBody = (body: string): { readonly value: unknown } | RestError => {
  if (body.trim() === "") return restError(400, "JSON_PARSER_ERROR", "No content to map due to end-of-input at [line:1, column:0]")
  try {
    return { value: JSON.parse(body) }
  } catch (error) {
    const position = /position (\d+)/.exec(String(error))
    const at = position === null ? body.length : Number(position[1])
    const before = body.slice(0, at)
    const line = before.split("\n").length
    const column = at - before.lastIndexOf("\n")
    const char = body[at]
    const message = char === undefined
      ? `Unexpected end-of-input: expected close marker at [line:${line}, column:${column}]`
      : `Unexpected character ('${char}' (code ${char.charCodeAt(0)})): expected a valid value (number, String, array, object, 'true', 'false' or 'null') at [line:${line}, column:${column}]`
    return restError(400, "JSON_PARSER_ERROR", message)
  }
}

const fieldType = (name: string): string =>
  name === "Id" ? "id" : name.startsWith("Is") ? "boolean" : /Date$|Modstamp$/.test(name) ? "datetime" : name.endsWith("Id") ? "reference" : "string"

const urls = (version: string, type: SObjectType) => ({
  sobject: `/services/data/v${version}/sobjects/${type.name}`,
  describe: `/services/data/v${version}/sobjects/${type.name}/describe`,
  rowTemplate: `/services/data/v${version}/sobjects/${type.name}/{ID}`
})

const summary = (version: string, type: SObjectType) => ({
  name: type.name,
  label: type.name.replace(/__c$/, "").replace(/_/g, " "),
  keyPrefix: type.keyPrefix,
  custom: type.name.endsWith("__c"),
  createable: true,
  updateable: true,
  deletable: true,
  queryable: true,
  urls: urls(version, type)
})

const describe = (version: string, type: SObjectType) => ({
  ...summary(version, type),
  fields: Array.from(type.fields.values(), (name) => ({
    name,
    type: fieldType(name),
    nillable: !type.required.includes(name) && name !== "Id",
    createable: type.writable.has(name),
    updateable: type.writable.has(name),
    externalId: type.externalIds.has(name),
    idLookup: name === "Id" || type.externalIds.has(name)
  }))
})

const recordJson = (version: string, record: StoredRecord, only?: ReadonlyArray<string>) => {
  const body: Record<string, unknown> = { attributes: { type: record.type.name, url: recordUrl(version, record) } }
  for (const field of only ?? Array.from(record.type.fields.values())) body[field] = record.fields[field] ?? null
  return body
}

const deleted = () => restError(404, "ENTITY_IS_DELETED", "entity is deleted", { fields: [] })

/** `rest` is what follows `/sobjects`. @internal */
export const handleSObjects = (
  state: EmulatorState,
  request: EmuRequest,
  session: Session,
  version: string,
  rest: string
): RestResult => {
  const segments = rest.split("/").filter((s) => s !== "").map((s) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  })
  const { method } = request
  if (segments.length === 0) {
    if (method !== "GET") return methodNotAllowed(method, "GET,HEAD")
    return {
      status: 200,
      body: { encoding: "UTF-8", maxBatchSize: 200, sobjects: Array.from(state.store.types.values(), (t) => summary(version, t)) }
    }
  }
  const type = state.store.type(segments[0]!)
  if (type === undefined) return notFound()
  const ctx: WriteContext = {
    userId: session.user.userId,
    now: state.now(),
    allowDuplicates: /allowSave\s*=\s*true/i.test(header(request, "sforce-duplicate-rule-header") ?? ""),
    apiVersion: version
  }
  const body = () => parseJsonBody(request.body)
  const written = (result: WriteResult, status: number, created?: boolean): RestResult => {
    if (result._tag === "Error") return result.error
    if (status === 204) return { status, body: undefined }
    const answer: Record<string, unknown> = { id: result.record.id, success: true, errors: [] }
    if (created !== undefined && Number(version) >= 46) answer["created"] = created
    return { status, body: answer }
  }

  if (segments.length === 1) {
    if (method === "GET") return { status: 200, body: { objectDescribe: summary(version, type), recentItems: [] } }
    if (method !== "POST") return methodNotAllowed(method, "GET,HEAD,POST")
    const parsed = body()
    if (!("value" in parsed)) return parsed
    return written(state.store.create(type, parsed.value, ctx), 201)
  }
  if (segments.length === 2) {
    if (segments[1] === "describe") {
      return method === "GET" ? { status: 200, body: describe(version, type) } : methodNotAllowed(method, "GET,HEAD")
    }
    const record = state.store.get(type, segments[1]!)
    if (record === undefined) return notFound(`Provided external ID field does not exist or is not accessible: ${segments[1]}`)
    if (method === "GET") {
      if (record.deleted) return deleted()
      const fields = request.query.get("fields")
      if (fields === null) return { status: 200, body: recordJson(version, record) }
      const names: Array<string> = []
      for (const f of fields.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
        const name = type.fields.get(f.toLowerCase())
        if (name === undefined) return restError(400, "INVALID_FIELD", `No such column '${f}' on entity '${type.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`)
        names.push(name)
      }
      return { status: 200, body: recordJson(version, record, names) }
    }
    if (record.deleted) return deleted()
    if (method === "PATCH") {
      const parsed = body()
      if (!("value" in parsed)) return parsed
      return written(state.store.update(record, parsed.value, ctx), 204)
    }
    if (method === "DELETE") {
      state.store.delete(record, state.now())
      return { status: 204, body: undefined }
    }
    return methodNotAllowed(method, "GET,HEAD,PATCH,DELETE")
  }
  if (segments.length !== 3) return notFound()

  // by external id
  const [, fieldText, value] = segments as [string, string, string]
  const field = type.fields.get(fieldText.toLowerCase())
  if (field === undefined || (field !== "Id" && !type.externalIds.has(field))) {
    return method === "GET"
      ? notFound(`Provided external ID field does not exist or is not accessible: ${fieldText}`)
      : notFound()
  }
  const matches = field === "Id"
    ? [state.store.get(type, value)].filter((r): r is StoredRecord => r !== undefined && !r.deleted)
    : state.store.findBy(type, field, value)
  if (matches.length > 1) return { status: 300, body: matches.map((r) => recordUrl(version, r)) }
  const match = matches[0]
  switch (method) {
    case "GET":
      return match === undefined ? notFound() : { status: 200, body: recordJson(version, match) }
    case "DELETE":
      if (match === undefined) return notFound()
      state.store.delete(match, state.now())
      return { status: 204, body: undefined }
    case "PATCH": {
      const parsed = body()
      if (!("value" in parsed)) return parsed
      if (match !== undefined) {
        return written(state.store.update(match, parsed.value, ctx), Number(version) >= 46 ? 200 : 204, false)
      }
      if (field === "Id" || request.query.get("updateOnly") === "true") return notFound()
      const values = typeof parsed.value === "object" && parsed.value !== null && !Array.isArray(parsed.value)
        ? { ...parsed.value, [field]: value }
        : parsed.value
      return written(state.store.create(type, values, ctx), 201, true)
    }
    default:
      return methodNotAllowed(method, "GET,HEAD,PATCH,DELETE")
  }
}
