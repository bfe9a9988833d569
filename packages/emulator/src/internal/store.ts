/**
 * The record store: create, read, update, delete with Salesforce's validation
 * errors and duplicate rules.
 *
 * @internal
 */
import type { DuplicateRuleOptions, SObjectOptions } from "../Emulator.js"
import { restError, type RestError } from "./http.js"
import { type IdGenerator, normalizeId } from "./ids.js"
import { buildTypes, formatDateTime, type SObjectType } from "./schema.js"

/** @internal */
export interface StoredRecord {
  readonly id: string
  readonly type: SObjectType
  readonly fields: Record<string, unknown>
  deleted: boolean
}

/** Who writes and how. @internal */
export interface WriteContext {
  readonly userId: string
  readonly now: number
  /** `Sforce-Duplicate-Rule-Header: allowSave=true`. */
  readonly allowDuplicates: boolean
  readonly apiVersion: string
}

/** Result of a write. @internal */
export type WriteResult = { readonly _tag: "Ok"; readonly record: StoredRecord } | { readonly _tag: "Error"; readonly error: RestError }

const ok = (record: StoredRecord): WriteResult => ({ _tag: "Ok", record })
const fail = (error: RestError): WriteResult => ({ _tag: "Error", error })

/** @internal */
export const recordUrl = (apiVersion: string, record: StoredRecord): string =>
  `/services/data/v${apiVersion}/sobjects/${record.type.name}/${record.id}`

/** @internal */
export class Store {
  readonly types: Map<string, SObjectType>
  private readonly byId = new Map<string, StoredRecord>()

  constructor(
    custom: Readonly<Record<string, SObjectOptions>>,
    private readonly duplicateRules: ReadonlyArray<DuplicateRuleOptions>,
    private readonly ids: IdGenerator
  ) {
    this.types = buildTypes(custom)
    for (const rule of duplicateRules) {
      const type = this.type(rule.sobject)
      if (type === undefined || !type.fields.has(rule.field.toLowerCase())) {
        throw new Error(`Emulator: duplicate rule on unknown field ${rule.sobject}.${rule.field}`)
      }
    }
  }

  type(name: string): SObjectType | undefined {
    return this.types.get(name.toLowerCase())
  }

  /** A record of `type` by 15/18-character id (deleted ones included). */
  get(type: SObjectType, idText: string): StoredRecord | undefined {
    const id = normalizeId(idText)
    const record = id === undefined ? undefined : this.byId.get(id.toLowerCase())
    return record !== undefined && record.type === type ? record : undefined
  }

  all(type: SObjectType): Array<StoredRecord> {
    const out: Array<StoredRecord> = []
    for (const record of this.byId.values()) if (record.type === type) out.push(record)
    return out
  }

  /** Live records whose `field` equals `value` (strings compared case-insensitively). */
  findBy(type: SObjectType, field: string, value: unknown): Array<StoredRecord> {
    return this.all(type).filter((r) => !r.deleted && sameValue(r.fields[field], value))
  }

  /** Inserts without validation (seed data, control handle). */
  insert(type: SObjectType, values: Readonly<Record<string, unknown>>, userId: string, now: number): StoredRecord {
    const given = typeof values["Id"] === "string" ? normalizeId(values["Id"]) : undefined
    const record = this.newRecord(type, userId, now, given)
    for (const [key, value] of Object.entries(values)) {
      const field = type.fields.get(key.toLowerCase())
      if (field === undefined) throw new Error(`Emulator: no field ${key} on ${type.name}`)
      if (field !== "Id") record.fields[field] = value
    }
    computeName(record)
    this.byId.set(record.id.toLowerCase(), record)
    return record
  }

  create(type: SObjectType, body: unknown, ctx: WriteContext): WriteResult {
    const values = this.validate(type, body)
    if (!(values instanceof Map)) return fail(values)
    const missing = type.required.filter((f) => isBlank(values.get(f)))
    if (missing.length > 0) {
      return fail(restError(400, "REQUIRED_FIELD_MISSING", `Required fields are missing: [${missing.join(", ")}]`, {
        fields: missing
      }))
    }
    const record = this.newRecord(type, ctx.userId, ctx.now)
    for (const [field, value] of values) record.fields[field] = value
    computeName(record)
    const duplicate = this.duplicates(record, ctx)
    if (duplicate !== undefined) return fail(duplicate)
    this.byId.set(record.id.toLowerCase(), record)
    return ok(record)
  }

  update(record: StoredRecord, body: unknown, ctx: WriteContext): WriteResult {
    const values = this.validate(record.type, body)
    if (!(values instanceof Map)) return fail(values)
    const missing = record.type.required.filter((f) => values.has(f) && isBlank(values.get(f)))
    if (missing.length > 0) {
      return fail(restError(400, "REQUIRED_FIELD_MISSING", `Required fields are missing: [${missing.join(", ")}]`, {
        fields: missing
      }))
    }
    const candidate: StoredRecord = { ...record, fields: { ...record.fields } }
    for (const [field, value] of values) candidate.fields[field] = value
    computeName(candidate)
    const duplicate = this.duplicates(candidate, ctx)
    if (duplicate !== undefined) return fail(duplicate)
    Object.assign(record.fields, candidate.fields, {
      LastModifiedDate: formatDateTime(ctx.now),
      LastModifiedById: ctx.userId,
      SystemModstamp: formatDateTime(ctx.now)
    })
    return ok(record)
  }

  delete(record: StoredRecord, now: number): void {
    record.deleted = true
    record.fields["IsDeleted"] = true
    record.fields["SystemModstamp"] = formatDateTime(now)
  }

  clear(): void {
    this.byId.clear()
  }

  private newRecord(type: SObjectType, userId: string, now: number, givenId?: string): StoredRecord {
    const stamp = formatDateTime(now)
    const fields: Record<string, unknown> = {}
    for (const field of type.fields.values()) fields[field] = null
    const id = givenId ?? this.ids.next(type.keyPrefix)
    Object.assign(fields, {
      Id: id,
      IsDeleted: false,
      CreatedDate: stamp,
      CreatedById: userId,
      LastModifiedDate: stamp,
      LastModifiedById: userId,
      SystemModstamp: stamp
    })
    if (type.hasOwner) fields["OwnerId"] = userId
    return { id, type, fields, deleted: false }
  }

  /** Body fields mapped to API names, or the error Salesforce gives. */
  private validate(type: SObjectType, body: unknown): Map<string, unknown> | RestError {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return restError(
        400,
        "JSON_PARSER_ERROR",
        `Cannot deserialize instance of ${type.name} from ${Array.isArray(body) ? "START_ARRAY" : "VALUE_STRING"} value`
      )
    }
    const values = new Map<string, unknown>()
    for (const [key, value] of Object.entries(body)) {
      if (key === "attributes") continue
      const field = type.fields.get(key.toLowerCase())
      if (field === undefined) {
        return restError(400, "INVALID_FIELD", `No such column '${key}' on sobject of type ${type.name}`)
      }
      if (!type.writable.has(field)) {
        return restError(
          400,
          "INVALID_FIELD_FOR_INSERT_UPDATE",
          `Unable to create/update fields: ${field}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          { fields: [field] }
        )
      }
      if (typeof value === "object" && value !== null) {
        return restError(
          400,
          "JSON_PARSER_ERROR",
          `Cannot deserialize instance of string from ${Array.isArray(value) ? "START_ARRAY" : "START_OBJECT"} value for field ${field}`
        )
      }
      if (field.endsWith("Id") && typeof value === "string" && value !== "" && normalizeId(value) === undefined) {
        return restError(400, "MALFORMED_ID", `${field}: id value of incorrect type: ${value}`, { fields: [field] })
      }
      values.set(field, value)
    }
    return values
  }

  private duplicates(record: StoredRecord, ctx: WriteContext): RestError | undefined {
    if (ctx.allowDuplicates) return undefined
    for (const rule of this.duplicateRules) {
      if (this.type(rule.sobject) !== record.type) continue
      const field = record.type.fields.get(rule.field.toLowerCase())!
      const value = record.fields[field]
      if (isBlank(value)) continue
      const matches = this.findBy(record.type, field, value).filter((r) => r.id !== record.id)
      if (matches.length === 0) continue
      const name = rule.name ?? `Emulator_${record.type.name}_${field}_Duplicate_Rule`
      const message = "Use one of these records?"
      return restError(400, "DUPLICATES_DETECTED", message, {
        duplicateResult: {
          allowSave: false,
          duplicateRule: name,
          duplicateRuleEntityType: record.type.name,
          errorMessage: message,
          matchResults: [{
            entityType: record.type.name,
            errors: [],
            matchEngine: "ExactMatchEngine",
            matchRecords: matches.map((m) => ({
              additionalInformation: [],
              fieldDiffs: [],
              matchConfidence: 100.0,
              record: {
                attributes: { type: m.type.name, url: recordUrl(ctx.apiVersion, m) },
                Id: m.id
              }
            })),
            rule: name.replace(/_Duplicate_Rule$/, "_Match_Rule"),
            size: matches.length,
            success: true
          }]
        }
      })
    }
    return undefined
  }
}

const isBlank = (value: unknown): boolean => value === undefined || value === null || value === ""

/** Salesforce compares strings case-insensitively. @internal */
export const sameValue = (stored: unknown, value: unknown): boolean => {
  if (stored === null || stored === undefined || value === null || value === undefined) {
    return (stored ?? null) === (value ?? null)
  }
  if (typeof stored === "string" || typeof value === "string") {
    return String(stored).toLowerCase() === String(value).toLowerCase()
  }
  return stored === value
}

const computeName = (record: StoredRecord): void => {
  if (!record.type.computedName) return
  const first = record.fields["FirstName"]
  const last = record.fields["LastName"]
  record.fields["Name"] = [first, last].filter((p) => typeof p === "string" && p !== "").join(" ") || null
}
