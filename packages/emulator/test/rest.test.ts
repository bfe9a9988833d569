import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Emulator } from "../src/index.js"
import { normalizeId } from "../src/internal/ids.js"
import { accessToken, get, postForm, sendJson, withToken } from "./helpers.js"

describe("REST basics", () => {
  it.scoped("GET /services/data/ lists versions without auth or usage header", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const reply = yield* get(`${baseUrl}/services/data/`)
      assert.strictEqual(reply.status, 200)
      assert.isUndefined(reply.headers["sforce-limit-info"])
      const versions = reply.json as Array<{ label: string; url: string; version: string }>
      assert.deepStrictEqual(versions[0], { label: "Summer '14", url: "/services/data/v31.0", version: "31.0" })
      assert.deepStrictEqual(versions.find((v) => v.version === "60.0"), { label: "Spring '24", url: "/services/data/v60.0", version: "60.0" })
      assert.strictEqual(versions[versions.length - 1]!.version, "66.0")
    }))

  it.scoped("the resource directory, /latest alias, retired and unknown versions", () =>
    Effect.gen(function*() {
      const { emulator, token, api } = yield* withToken()
      const dir = yield* get(`${api}/`, token)
      assert.strictEqual(dir.json.query, "/services/data/v64.0/query")
      assert.strictEqual(dir.json.sobjects, "/services/data/v64.0/sobjects")
      assert.strictEqual((yield* get(`${emulator.baseUrl}/services/data/latest/`, token)).json.limits, "/services/data/v66.0/limits")
      assert.strictEqual((yield* get(`${emulator.baseUrl}/services/data/v30.0/`, token)).status, 410)
      assert.strictEqual((yield* get(`${emulator.baseUrl}/services/data/v99.0/`, token)).status, 404)
      const unknown = yield* get(`${api}/nothing-here`, token)
      assert.deepStrictEqual(unknown.json, [{ message: "The requested resource does not exist", errorCode: "NOT_FOUND" }])
    }))

  it.scoped("/limits agrees with Sforce-Limit-Info, which is on every response", () =>
    Effect.gen(function*() {
      const { token, api } = yield* withToken({ apiUsageLimit: 500 })
      yield* get(`${api}/`, token)
      const reply = yield* get(`${api}/limits`, token)
      assert.strictEqual(reply.headers["sforce-limit-info"], "api-usage=2/500")
      assert.deepStrictEqual(reply.json.DailyApiRequests, { Max: 500, Remaining: 498 })
      const error = yield* get(`${api}/sobjects/Nope`, token)
      assert.strictEqual(error.headers["sforce-limit-info"], "api-usage=3/500")
    }))

  it.scoped("no live session: 401 INVALID_SESSION_ID (missing, unknown, expired, revoked)", () =>
    Effect.gen(function*() {
      const { emulator, token, api } = yield* withToken()
      const expected = [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]
      const missing = yield* get(`${api}/limits`)
      assert.strictEqual(missing.status, 401)
      assert.deepStrictEqual(missing.json, expected)
      assert.deepStrictEqual((yield* get(`${api}/limits`, "00Dxx!bogus")).json, expected)
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
      assert.isTrue(yield* emulator.control.revokeSession(token))
      assert.deepStrictEqual((yield* get(`${api}/limits`, token)).json, expected)
    }))

  it.scoped("sessions expire on the emulator clock; use extends them (sliding)", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken({ sessionLifetime: "1 hour" })
      yield* control.advanceClock("50 minutes")
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
      yield* control.advanceClock("50 minutes")
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
      yield* control.advanceClock("61 minutes")
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 401)
      const sessions = yield* control.sessions
      assert.isFalse(sessions[0]!.active)
    }))

  it.scoped("absolute expiry without sliding; setSessionLifetime and expireAllSessions", () =>
    Effect.gen(function*() {
      const { emulator: { baseUrl, control }, token, api } = yield* withToken({ slidingSessions: false })
      yield* control.setSessionLifetime("10 minutes")
      yield* control.advanceClock("9 minutes")
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
      yield* control.advanceClock("2 minutes")
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 401)
      const fresh = yield* accessToken(baseUrl)
      assert.strictEqual((yield* get(`${api}/limits`, fresh)).status, 200)
      yield* control.expireAllSessions
      assert.strictEqual((yield* get(`${api}/limits`, fresh)).status, 401)
      assert.lengthOf((yield* control.sessions).filter((s) => s.active), 0)
    }))

  it.scoped("REQUEST_LIMIT_EXCEEDED once the daily allocation is used", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken({ apiUsageLimit: 2 })
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
      const over = yield* get(`${api}/limits`, token)
      assert.strictEqual(over.status, 403)
      assert.deepStrictEqual(over.json, [{ message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" }])
      assert.strictEqual(over.headers["sforce-limit-info"], "api-usage=2/2")
      yield* control.setApiUsage(0)
      assert.strictEqual((yield* get(`${api}/limits`, token)).status, 200)
    }))

  it.scoped("a token without the api scope is not valid for the REST API", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      yield* control.addConnectedApp({ clientId: "NoApi", clientSecret: "s", runAs: "user@example.com", scopes: ["id"] })
      const token = yield* Effect.map(
        sendToken(baseUrl, { grant_type: "client_credentials", client_id: "NoApi", client_secret: "s" }),
        (r) => r.json.access_token as string
      )
      const reply = yield* get(`${baseUrl}/services/data/v64.0/limits`, token)
      assert.strictEqual(reply.status, 401)
      assert.deepStrictEqual(reply.json, [{ message: "This session is not valid for use with the REST API", errorCode: "INVALID_SESSION_ID" }])
    }))
})

const sendToken = (baseUrl: string, params: Record<string, string>) => postForm(`${baseUrl}/services/oauth2/token`, params)

describe("sObjects", () => {
  it.scoped("create, read, update, delete", () =>
    Effect.gen(function*() {
      const { token, api } = yield* withToken()
      const created = yield* sendJson("POST", `${api}/sobjects/Account`, token, { Name: "Wayne Enterprises", Industry: "Defense" })
      assert.strictEqual(created.status, 201)
      assert.deepStrictEqual(Object.keys(created.json), ["id", "success", "errors"])
      const id = created.json.id as string
      assert.match(id, /^001[a-zA-Z0-9]{15}$/)
      assert.strictEqual(normalizeId(id), id)
      assert.strictEqual(normalizeId(id.slice(0, 15)), id)
      const read = yield* get(`${api}/sobjects/Account/${id}`, token)
      assert.strictEqual(read.status, 200)
      assert.deepStrictEqual(read.json.attributes, { type: "Account", url: `/services/data/v64.0/sobjects/Account/${id}` })
      assert.strictEqual(read.json.Name, "Wayne Enterprises")
      assert.strictEqual(read.json.Phone, null)
      assert.match(read.json.CreatedDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/)
      const by15 = yield* get(`${api}/sobjects/Account/${id.slice(0, 15)}?fields=Id,Name`, token)
      assert.deepStrictEqual(Object.keys(by15.json), ["attributes", "Id", "Name"])
      const patched = yield* sendJson("PATCH", `${api}/sobjects/Account/${id}`, token, { Phone: "555" })
      assert.strictEqual(patched.status, 204)
      assert.strictEqual(patched.text, "")
      assert.strictEqual((yield* get(`${api}/sobjects/Account/${id}`, token)).json.Phone, "555")
      assert.strictEqual((yield* sendJson("DELETE", `${api}/sobjects/Account/${id}`, token)).status, 204)
      const gone = yield* get(`${api}/sobjects/Account/${id}`, token)
      assert.strictEqual(gone.status, 404)
      assert.deepStrictEqual(gone.json, [{ message: "entity is deleted", errorCode: "ENTITY_IS_DELETED", fields: [] }])
    }))

  it.scoped("key prefixes and computed names", () =>
    Effect.gen(function*() {
      const { token, api } = yield* withToken()
      const prefixes: Record<string, [string, Record<string, unknown>]> = {
        Contact: ["003", { LastName: "Kent", FirstName: "Clark" }],
        Opportunity: ["006", { Name: "Deal", StageName: "Prospecting", CloseDate: "2030-01-01" }],
        Lead: ["00Q", { LastName: "Lane", Company: "Daily Planet" }],
        Case: ["500", { Subject: "Help" }]
      }
      for (const [type, [prefix, body]] of Object.entries(prefixes)) {
        const created = yield* sendJson("POST", `${api}/sobjects/${type}`, token, body)
        assert.strictEqual(created.json.id.slice(0, 3), prefix)
      }
      const contacts = yield* get(`${api}/query?q=${encodeURIComponent("SELECT Name FROM Contact WHERE LastName = 'Kent'")}`, token)
      assert.strictEqual(contacts.json.records[0].Name, "Clark Kent")
    }))

  it.scoped("errors: NOT_FOUND, INVALID_FIELD, JSON_PARSER_ERROR, REQUIRED_FIELD_MISSING, read-only and malformed ids", () =>
    Effect.gen(function*() {
      const { token, api } = yield* withToken()
      const missing = yield* get(`${api}/sobjects/Account/001000000000000AAA`, token)
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(missing.json[0].errorCode, "NOT_FOUND")
      assert.deepStrictEqual((yield* get(`${api}/sobjects/Nope/001000000000000AAA`, token)).json, [{ message: "The requested resource does not exist", errorCode: "NOT_FOUND" }])
      const badField = yield* sendJson("POST", `${api}/sobjects/Account`, token, { Name: "x", Foo__c: 1 })
      assert.deepStrictEqual(badField.json, [{ message: "No such column 'Foo__c' on sobject of type Account", errorCode: "INVALID_FIELD" }])
      const badJson = yield* sendJson("POST", `${api}/sobjects/Account`, token, "{\"Name\": x}")
      assert.strictEqual(badJson.status, 400)
      assert.strictEqual(badJson.json[0].errorCode, "JSON_PARSER_ERROR")
      const required = yield* sendJson("POST", `${api}/sobjects/Account`, token, { Industry: "x" })
      assert.deepStrictEqual(required.json, [{ message: "Required fields are missing: [Name]", errorCode: "REQUIRED_FIELD_MISSING", fields: ["Name"] }])
      const readOnly = yield* sendJson("POST", `${api}/sobjects/Account`, token, { Name: "x", CreatedDate: "2020-01-01" })
      assert.strictEqual(readOnly.json[0].errorCode, "INVALID_FIELD_FOR_INSERT_UPDATE")
      const malformed = yield* sendJson("POST", `${api}/sobjects/Contact`, token, { LastName: "x", AccountId: "nope" })
      assert.strictEqual(malformed.json[0].errorCode, "MALFORMED_ID")
      const fields = yield* get(`${api}/sobjects/Account/${(yield* sendJson("POST", `${api}/sobjects/Account`, token, { Name: "y" })).json.id}?fields=Nope`, token)
      assert.strictEqual(fields.json[0].errorCode, "INVALID_FIELD")
      const method = yield* sendJson("POST", `${api}/sobjects/Account/001000000000000AAA/x/y`, token, {})
      assert.strictEqual(method.status, 404)
    }))

  it.scoped("external ids: read, upsert created (201) / updated (200) / several matches (300)", () =>
    Effect.gen(function*() {
      const { emulator: { control }, token, api } = yield* withToken()
      const acme = yield* get(`${api}/sobjects/Account/External_Id__c/ACME-1`, token)
      assert.strictEqual(acme.status, 200)
      assert.strictEqual(acme.json.Name, "Acme")
      const created = yield* sendJson("PATCH", `${api}/sobjects/Account/External_Id__c/NEW-1`, token, { Name: "Newco" })
      assert.strictEqual(created.status, 201)
      assert.deepStrictEqual({ ...created.json, id: "x" }, { id: "x", success: true, errors: [], created: true })
      const updated = yield* sendJson("PATCH", `${api}/sobjects/Account/External_Id__c/NEW-1`, token, { Industry: "Retail" })
      assert.strictEqual(updated.status, 200)
      assert.deepStrictEqual(updated.json, { id: created.json.id, success: true, errors: [], created: false })
      assert.strictEqual((yield* get(`${api}/sobjects/Account/${created.json.id}`, token)).json.External_Id__c, "NEW-1")
      const old = yield* sendJson("PATCH", api.replace("v64.0", "v45.0") + "/sobjects/Account/External_Id__c/NEW-1", token, { Industry: "Food" })
      assert.strictEqual(old.status, 204)
      const dupId = yield* control.insertRecord("Account", { Name: "Acme Twin", External_Id__c: "ACME-1" })
      const several = yield* get(`${api}/sobjects/Account/External_Id__c/ACME-1`, token)
      assert.strictEqual(several.status, 300)
      assert.include(several.json, `/services/data/v64.0/sobjects/Account/${dupId}`)
      assert.lengthOf(several.json, 2)
      assert.strictEqual((yield* sendJson("PATCH", `${api}/sobjects/Account/External_Id__c/ACME-1`, token, { Phone: "1" })).status, 300)
      const badField = yield* sendJson("PATCH", `${api}/sobjects/Account/Name/Acme`, token, { Phone: "1" })
      assert.deepStrictEqual(badField.json, [{ message: "The requested resource does not exist", errorCode: "NOT_FOUND" }])
      assert.strictEqual((yield* get(`${api}/sobjects/Account/External_Id__c/NOPE`, token)).status, 404)
      assert.strictEqual((yield* sendJson("PATCH", `${api}/sobjects/Account/External_Id__c/NOPE?updateOnly=true`, token, { Name: "n" })).status, 404)
      assert.strictEqual((yield* sendJson("DELETE", `${api}/sobjects/Account/External_Id__c/NEW-1`, token)).status, 204)
    }))

  it.scoped("DUPLICATES_DETECTED with the duplicateResult shape; the duplicate rule header bypasses it", () =>
    Effect.gen(function*() {
      const { token, api } = yield* withToken({ duplicateRules: [{ sobject: "Contact", field: "Email", name: "Standard_Contact_Duplicate_Rule" }] })
      const blocked = yield* sendJson("POST", `${api}/sobjects/Contact`, token, { LastName: "Coyote", Email: "WILE@acme.example.com" })
      assert.strictEqual(blocked.status, 400)
      const error = blocked.json[0]
      assert.strictEqual(error.errorCode, "DUPLICATES_DETECTED")
      assert.strictEqual(error.message, "Use one of these records?")
      assert.strictEqual(error.duplicateResult.duplicateRule, "Standard_Contact_Duplicate_Rule")
      assert.strictEqual(error.duplicateResult.duplicateRuleEntityType, "Contact")
      assert.strictEqual(error.duplicateResult.allowSave, false)
      const match = error.duplicateResult.matchResults[0]
      assert.strictEqual(match.size, 1)
      assert.match(match.matchRecords[0].record.Id, /^003/)
      assert.strictEqual(match.matchRecords[0].matchConfidence, 100)
      const allowed = yield* sendJson("POST", `${api}/sobjects/Contact`, token, { LastName: "Coyote", Email: "wile@acme.example.com" }, {
        "Sforce-Duplicate-Rule-Header": "allowSave=true; includeRecordDetails=false; runAsCurrentUser=false"
      })
      assert.strictEqual(allowed.status, 201)
    }))

  it.scoped("describe and describeGlobal; custom sObjects get a custom key prefix", () =>
    Effect.gen(function*() {
      const { token, api } = yield* withToken({ sobjects: { Invoice__c: { fields: ["Name", "Amount__c", "Number__c"], required: ["Name"], externalIdFields: ["Number__c"] } } })
      const global = yield* get(`${api}/sobjects`, token)
      const invoice = global.json.sobjects.find((s: { name: string }) => s.name === "Invoice__c")
      assert.strictEqual(invoice.keyPrefix, "a00")
      const describe = yield* get(`${api}/sobjects/Invoice__c/describe`, token)
      assert.isTrue(describe.json.fields.find((f: { name: string }) => f.name === "Number__c").externalId)
      const created = yield* sendJson("PATCH", `${api}/sobjects/Invoice__c/Number__c/INV-1`, token, { Name: "First" })
      assert.match(created.json.id, /^a00/)
    }))
})
