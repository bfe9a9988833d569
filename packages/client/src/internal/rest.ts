/**
 * The REST calls on top of the pipeline: query / queryAll streams, sObject CRUD and upsert,
 * limits.
 * @internal
 */
import { MalformedResponseError } from "@effect-salesforce/auth/AuthError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { Salesforce } from "../Salesforce.js"
import { InvalidRequestError } from "../SalesforceError.js"
import { parseJson } from "./errors.js"
import type { Execute } from "./pipeline.js"

const describe = (response: HttpClientResponse.HttpClientResponse) => {
  const url = new URL(response.request.url)
  return `${response.request.method} ${url.pathname}`
}

/** The body as JSON; a body that is not JSON is a `MalformedResponseError`. @internal */
export const readJson = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<unknown, MalformedResponseError> =>
  Effect.flatMap(Effect.orDie(response.text), (text) => {
    const body = text === "" ? undefined : parseJson(text)
    return body === undefined
      ? Effect.fail(malformed(response, text === "" ? "an empty body where JSON was expected" : "the body is not JSON"))
      : Effect.succeed(body)
  })

const malformed = (response: HttpClientResponse.HttpClientResponse, detail: string) =>
  new MalformedResponseError({ method: "Salesforce", request: describe(response), status: response.status, detail })

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

const seg = encodeURIComponent

const withBody = (request: HttpClientRequest.HttpClientRequest, body: unknown) =>
  HttpClientRequest.bodyJson(request, body).pipe(
    Effect.mapError((e) =>
      new InvalidRequestError({ request: `${request.method} ${request.url}`, detail: `the body is not JSON: ${e.reason._tag}` })
    )
  )

/** `query` or `queryAll`. @internal */
export const makeQuery = (execute: Execute, resource: "query" | "queryAll"): Salesforce.QueryFn =>
  ((soql: string, options?: Salesforce.QueryOptions<unknown, unknown, unknown> | Salesforce.RequestOptions) => {
    const schema = options !== undefined && "schema" in options ? options.schema : undefined
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

/** `sobject(name)`. @internal */
export const makeSObject = (execute: Execute) => (name: string): Salesforce.SObject => {
  const base = `sobjects/${seg(name)}`
  const span = (op: string) =>
    Effect.withSpan(`Salesforce.sobject.${op}`, { captureStackTrace: false, attributes: { "salesforce.sobject": name } })

  const getByExternalId: Salesforce.SObject["getByExternalId"] = (field, value, options) =>
    execute(HttpClientRequest.get(`${base}/${seg(field)}/${seg(value)}`), options).pipe(
      Effect.flatMap(readRecord),
      span("getByExternalId")
    )

  return {
    get: (id, fields, options) => {
      let request = HttpClientRequest.get(`${base}/${seg(id)}`)
      if (fields !== undefined && fields.length > 0) request = HttpClientRequest.setUrlParam(request, "fields", fields.join(","))
      return execute(request, options).pipe(Effect.flatMap(readRecord), span("get"))
    },
    getByExternalId,
    create: (body, options) =>
      withBody(HttpClientRequest.post(base), body).pipe(
        Effect.flatMap((request) => execute(request, options)),
        Effect.flatMap(readId),
        Effect.map((id) => ({ id })),
        span("create")
      ),
    update: (id, body, options) =>
      withBody(HttpClientRequest.patch(`${base}/${seg(id)}`), body).pipe(
        Effect.flatMap((request) => execute(request, options)),
        Effect.asVoid,
        span("update")
      ),
    delete: (id, options) => execute(HttpClientRequest.del(`${base}/${seg(id)}`), options).pipe(Effect.asVoid, span("delete")),
    upsert: (field, value, body, options) => {
      // the external id is in the path; Salesforce refuses it in the body too
      const fields = Object.fromEntries(Object.entries(body).filter(([key]) => key.toLowerCase() !== field.toLowerCase()))
      return withBody(HttpClientRequest.patch(`${base}/${seg(field)}/${seg(value)}`), fields).pipe(
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
