/**
 * The REST calls on top of the pipeline: query / queryAll streams, sObject CRUD and upsert,
 * limits.
 * @internal
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { Salesforce } from "../Salesforce.js"
import { InvalidRequestError, UnexpectedResponseError } from "../SalesforceError.js"
import { JsonError, parseJsonOrThrow } from "./json.js"
import type { Execute } from "./pipeline.js"

const describe = (response: HttpClientResponse.HttpClientResponse) => {
  const url = new URL(response.request.url)
  return `${response.request.method} ${url.pathname}`
}

/** The body as JSON; a body that is not JSON is an `UnexpectedResponseError`. @internal */
export const readJson = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<unknown, UnexpectedResponseError> =>
  Effect.flatMap(Effect.orDie(response.text), (text) => {
    if (text === "") return Effect.fail(malformed(response, "an empty body where JSON was expected"))
    try {
      return Effect.succeed(parseJsonOrThrow(text))
    } catch (error) {
      return Effect.fail(malformed(response, error instanceof JsonError ? error.message : "the body is not JSON"))
    }
  })

const malformed = (response: HttpClientResponse.HttpClientResponse, detail: string) =>
  new UnexpectedResponseError({ request: describe(response), status: response.status, detail })

const readRecord = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.flatMap(readJson(response), (body) =>
    Predicate.isRecord(body) && !Array.isArray(body)
      ? Effect.succeed(body as Salesforce.SObjectRecord)
      : Effect.fail(malformed(response, "expected a JSON object")))

const readId = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.flatMap(readRecord(response), (body) =>
    typeof body.id === "string" ? Effect.succeed(body.id) : Effect.fail(malformed(response, "no `id` in the result")))

const QueryPage = Schema.Struct({
  totalSize: Schema.Number,
  done: Schema.Boolean,
  nextRecordsUrl: Schema.optional(Schema.NullOr(Schema.String)),
  records: Schema.Array(Schema.Unknown)
})
const decodePage = Schema.decodeUnknownEither(QueryPage)

/**
 * One path segment from a caller's value (a record id, an external-id value, an sObject or
 * field name), or why it cannot be one: empty, `.` or `..` (which would name another resource:
 * `get("..")` read the sObject list), a `/`, `\\`, `?` or `#` (another path, a query, a
 * fragment, or a separator some servers decode), or text `encodeURIComponent` cannot encode (a
 * lone surrogate). The value is never quoted: an external id can be personal data.
 * @internal
 */
export const pathSegment = (what: string, value: string): { readonly segment: string } | { readonly problem: string } => {
  if (typeof value !== "string") return { problem: `the ${what} is not a string` }
  if (value === "") return { problem: `the ${what} is empty` }
  if (value === "." || value === "..") return { problem: `the ${what} is "${value}", which would name another resource` }
  const separator = ["/", "\\", "?", "#"].find((c) => value.includes(c))
  if (separator !== undefined) return { problem: `the ${what} contains "${separator}", which cannot be part of one path segment` }
  try {
    return { segment: encodeURIComponent(value) }
  } catch {
    return { problem: `the ${what} is not valid text (it holds a lone surrogate)` }
  }
}

/**
 * `sobjects/<segment>/<segment>...` from checked parts, or an `InvalidRequestError` (nothing
 * is sent). `request` describes the call by its template (`GET /sobjects/{sobject}/{id}`).
 */
const sobjectPath = (
  request: string,
  parts: ReadonlyArray<readonly [what: string, value: string]>
): Effect.Effect<string, InvalidRequestError> => {
  const segments: Array<string> = ["sobjects"]
  for (const [what, value] of parts) {
    const checked = pathSegment(what, value)
    if ("problem" in checked) return Effect.fail(new InvalidRequestError({ request, detail: checked.problem }))
    segments.push(checked.segment)
  }
  return Effect.succeed(segments.join("/"))
}

const withBody = (request: HttpClientRequest.HttpClientRequest, body: unknown) =>
  HttpClientRequest.bodyJson(request, body).pipe(
    Effect.mapError((e) =>
      new InvalidRequestError({ request: `${request.method} ${request.url}`, detail: `the body is not JSON: ${e.reason._tag}` })
    )
  )

/** `query` or `queryAll`. @internal */
export const makeQuery = (execute: Execute, resource: "query" | "queryAll"): Salesforce.QueryFn =>
  ((soql: string, schemaOrOptions?: unknown, maybeOptions?: Salesforce.RequestOptions) => {
    const schema = Schema.isSchema(schemaOrOptions) ? (schemaOrOptions as Schema.Schema<unknown, unknown, unknown>) : undefined
    const options = schema === undefined ? (schemaOrOptions as Salesforce.RequestOptions | undefined) : maybeOptions
    const decodeRecords = schema === undefined
      ? (records: ReadonlyArray<unknown>) => Effect.succeed(records)
      : Schema.decodeUnknown(Schema.Array(schema))
    const first = HttpClientRequest.get(resource).pipe(HttpClientRequest.setUrlParam("q", soql))
    const page = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.gen(function*() {
        const response = yield* execute(request, options)
        const body = yield* readJson(response)
        const decoded = decodePage(body)
        if (decoded._tag === "Left") return yield* Effect.fail(malformed(response, "not a query result"))
        const { done, nextRecordsUrl, records } = decoded.right
        const next = !done && typeof nextRecordsUrl === "string"
          ? Option.some(HttpClientRequest.get(nextRecordsUrl))
          : Option.none()
        const values = yield* decodeRecords(records)
        return [Chunk.unsafeFromArray(values as Array<unknown>), next] as const
      })
    return Stream.paginateChunkEffect(first, page).pipe(
      Stream.withSpan(`Salesforce.${resource}`, { captureStackTrace: false })
    )
  }) as Salesforce.QueryFn

/** `sobject(name)`. Every path segment is checked before anything is sent. @internal */
export const makeSObject = (execute: Execute) => (name: string): Salesforce.SObject => {
  const span = (op: string) =>
    Effect.withSpan(`Salesforce.sobject.${op}`, { captureStackTrace: false, attributes: { "salesforce.sobject": name } })
  const sobject = ["sObject name", name] as const

  const getByExternalId: Salesforce.SObject["getByExternalId"] = (field, value, options) =>
    sobjectPath("GET /sobjects/{sobject}/{field}/{value}", [sobject, ["external id field", field], ["external id value", value]]).pipe(
      Effect.flatMap((path) => execute(HttpClientRequest.get(path), options)),
      Effect.flatMap(readRecord),
      span("getByExternalId")
    )

  return {
    get: (id, fields, options) =>
      sobjectPath("GET /sobjects/{sobject}/{id}", [sobject, ["record id", id]]).pipe(
        Effect.flatMap((path) => {
          let request = HttpClientRequest.get(path)
          if (fields !== undefined && fields.length > 0) request = HttpClientRequest.setUrlParam(request, "fields", fields.join(","))
          return execute(request, options)
        }),
        Effect.flatMap(readRecord),
        span("get")
      ),
    getByExternalId,
    create: (body, options) =>
      sobjectPath("POST /sobjects/{sobject}", [sobject]).pipe(
        Effect.flatMap((path) => withBody(HttpClientRequest.post(path), body)),
        Effect.flatMap((request) => execute(request, options)),
        Effect.flatMap(readId),
        Effect.map((id) => ({ id })),
        span("create")
      ),
    update: (id, body, options) =>
      sobjectPath("PATCH /sobjects/{sobject}/{id}", [sobject, ["record id", id]]).pipe(
        Effect.flatMap((path) => withBody(HttpClientRequest.patch(path), body)),
        Effect.flatMap((request) => execute(request, options)),
        Effect.asVoid,
        span("update")
      ),
    delete: (id, options) =>
      sobjectPath("DELETE /sobjects/{sobject}/{id}", [sobject, ["record id", id]]).pipe(
        Effect.flatMap((path) => execute(HttpClientRequest.del(path), options)),
        Effect.asVoid,
        span("delete")
      ),
    upsert: (field, value, body, options) => {
      // the external id is in the path; Salesforce refuses it in the body too
      const fields = Object.fromEntries(Object.entries(body).filter(([key]) => key.toLowerCase() !== field.toLowerCase()))
      return sobjectPath("PATCH /sobjects/{sobject}/{field}/{value}", [sobject, ["external id field", field], ["external id value", value]]).pipe(
        Effect.flatMap((path) => withBody(HttpClientRequest.patch(path), fields)),
        Effect.flatMap((request) => execute(request, options)),
        Effect.flatMap((response): Effect.Effect<Salesforce.UpsertResult, Salesforce.Error> => {
          if (response.status === 204) {
            // API < 46.0 answers an update with 204 and no body: look the id up
            return Effect.map(getByExternalId(field, value, options), (record) => ({ id: String(record.Id), created: false }))
          }
          return Effect.flatMap(readRecord(response), (result) =>
            typeof result.id === "string"
              ? Effect.succeed({ id: result.id, created: result.created === true || response.status === 201 })
              : Effect.fail(malformed(response, "no `id` in the upsert result")))
        }),
        span("upsert")
      )
    }
  }
}

const LimitsSchema = Schema.Record({
  key: Schema.String,
  value: Schema.Struct(
    { Max: Schema.Number, Remaining: Schema.Number },
    Schema.Record({ key: Schema.String, value: Schema.Unknown })
  )
})
const decodeLimits = Schema.decodeUnknownEither(LimitsSchema)

/** `GET /limits`. @internal */
export const makeLimits = (execute: Execute): Effect.Effect<Salesforce.Limits, Salesforce.Error> =>
  execute(HttpClientRequest.get("limits")).pipe(
    Effect.flatMap((response) =>
      Effect.flatMap(readJson(response), (body) => {
        const decoded = decodeLimits(body)
        return decoded._tag === "Right"
          ? Effect.succeed(decoded.right as Salesforce.Limits)
          : Effect.fail(malformed(response, "not a limits object"))
      })
    ),
    Effect.withSpan("Salesforce.limits", { captureStackTrace: false })
  )
