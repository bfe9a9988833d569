import type * as SalesforceError from "@effect-salesforce/client/SalesforceError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { app, connect, v } from "./emulator.js"

const accounts = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ Name: `Account ${String(i).padStart(3, "0")}`, External_Id__c: `EXT-${i}` }))

describe("integration: query", () => {
  it.scoped("streams across 3+ pages, following nextRecordsUrl", () =>
    Effect.gen(function*() {
      const { requestsUnder, sf } = yield* connect({ queryBatchSize: 3, seed: { Account: accounts(10) } })
      const Account = Schema.Struct({ Id: Schema.String, Name: Schema.String })
      const records = Chunk.toArray(yield* Stream.runCollect(sf.query("SELECT Id, Name FROM Account", Account)))
      assert.strictEqual(records.length, 10)
      assert.strictEqual(new Set(records.map((r) => r.Id)).size, 10)
      assert.strictEqual(yield* requestsUnder(`${v}/query`), 4)
    }))

  it.scoped("stops early: taking 5 records fetches one page", () =>
    Effect.gen(function*() {
      const { requestsUnder, sf } = yield* connect({ queryBatchSize: 10, seed: { Account: accounts(30) } })
      const records = yield* Stream.runCollect(sf.query("SELECT Id FROM Account").pipe(Stream.take(5)))
      assert.strictEqual(Chunk.size(records), 5)
      assert.strictEqual(yield* requestsUnder(`${v}/query`), 1)
    }))

  it.scoped("queryAll includes deleted records; query does not", () =>
    Effect.gen(function*() {
      const { sf } = yield* connect({ seed: { Account: accounts(3) } })
      const [first] = Chunk.toArray(yield* Stream.runCollect(sf.query("SELECT Id FROM Account").pipe(Stream.take(1))))
      yield* sf.sobject("Account").delete(first!.Id!)
      const live = yield* Stream.runCollect(sf.query("SELECT Id FROM Account"))
      const all = yield* Stream.runCollect(sf.queryAll("SELECT Id FROM Account"))
      assert.strictEqual(Chunk.size(live), 2)
      assert.strictEqual(Chunk.size(all), 3)
    }))

  it.scoped("a malformed query is a SalesforceApiError, not retried", () =>
    Effect.gen(function*() {
      const { requestsUnder, sf } = yield* connect()
      const error = yield* Effect.flip(Stream.runCollect(sf.query("SELECT FROM WHERE")))
      assert.strictEqual(error._tag, "SalesforceApiError")
      assert.strictEqual((error as SalesforceError.SalesforceApiError).status, 400)
      assert.strictEqual(yield* requestsUnder(`${v}/query`), 1)
    }))
})

describe("integration: sobject and limits", () => {
  it.scoped("create, get, update, delete; then NotFoundError", () =>
    Effect.gen(function*() {
      const { control, sf } = yield* connect()
      const account = sf.sobject("Account")
      const { id } = yield* account.create({ Name: "Wayne Enterprises", Industry: "Defense" })
      assert.match(id, /^001/)
      const got = yield* account.get(id, ["Id", "Name", "Industry"])
      assert.deepInclude(got, { Id: id, Name: "Wayne Enterprises", Industry: "Defense" })
      yield* account.update(id, { Industry: "Technology" })
      assert.strictEqual((yield* account.get(id)).Industry, "Technology")
      yield* account.delete(id)
      const error = yield* Effect.flip(account.get(id))
      assert.strictEqual(error._tag, "NotFoundError")
      assert.strictEqual((error as SalesforceError.NotFoundError).status, 404)
      const log = yield* control.requestLog
      assert.isTrue(log.filter((r) => r.path.startsWith(v)).every((r) => r.headers["sforce-call-options"] === "client=effect-salesforce"))
    }))

  it.scoped("create without a required field fails with the field named", () =>
    Effect.gen(function*() {
      const { sf } = yield* connect()
      const error = yield* Effect.flip(sf.sobject("Account").create({ Industry: "Energy" }))
      assert.deepInclude(error, { _tag: "SalesforceApiError", status: 400, errorCode: "REQUIRED_FIELD_MISSING" })
      assert.include((error as SalesforceError.SalesforceApiError).fields, "Name")
    }))

  it.scoped("a duplicate rule gives DuplicatesDetectedError with the duplicates", () =>
    Effect.gen(function*() {
      const { sf } = yield* connect({ duplicateRules: [{ sobject: "Account", field: "Name" }], seed: { Account: accounts(1) } })
      const error = yield* Effect.flip(sf.sobject("Account").create({ Name: "Account 000" }))
      assert.strictEqual(error._tag, "DuplicatesDetectedError")
      const dup = error as SalesforceError.DuplicatesDetectedError
      assert.strictEqual(dup.duplicates.length, 1)
      assert.match(dup.duplicates[0]!.id!, /^001/)
      const { id } = yield* sf.sobject("Account").create({ Name: "Account 000" }, {
        headers: { "Sforce-Duplicate-Rule-Header": "allowSave=true" }
      })
      assert.match(id, /^001/)
    }))

  it.scoped("getByExternalId and upsert: created, then updated; 300 on an ambiguous external id", () =>
    Effect.gen(function*() {
      const { control, sf } = yield* connect({ seed: { Account: accounts(2) } })
      const account = sf.sobject("Account")
      assert.strictEqual((yield* account.getByExternalId("External_Id__c", "EXT-1")).Name, "Account 001")
      const created = yield* account.upsert("External_Id__c", "NEW-1", { Name: "Fresh" })
      assert.isTrue(created.created)
      const updated = yield* account.upsert("External_Id__c", "NEW-1", { Name: "Fresher", External_Id__c: "NEW-1" })
      assert.deepStrictEqual(updated, { id: created.id, created: false })
      assert.strictEqual((yield* account.get(created.id)).Name, "Fresher")
      yield* control.insertRecord("Account", { Name: "Twin A", External_Id__c: "TWIN" })
      yield* control.insertRecord("Account", { Name: "Twin B", External_Id__c: "TWIN" })
      const many = yield* Effect.flip(account.getByExternalId("External_Id__c", "TWIN"))
      assert.strictEqual(many._tag, "MoreThanOneRecordError")
      assert.strictEqual((many as SalesforceError.MoreThanOneRecordError).ids.length, 2)
      const upsertMany = yield* Effect.flip(account.upsert("External_Id__c", "TWIN", { Name: "?" }))
      assert.strictEqual(upsertMany._tag, "MoreThanOneRecordError")
    }))

  it.scoped("limits, and execute / httpClient for the raw API", () =>
    Effect.gen(function*() {
      const { sf } = yield* connect({ apiUsageLimit: 1000 })
      const limits = yield* sf.limits
      assert.strictEqual(limits.DailyApiRequests!.Max, 1000)
      const response = yield* sf.execute(HttpClientRequest.get(`${v}/`))
      assert.isObject(yield* response.json)
      const raw = yield* sf.httpClient.get("sobjects/Account/001000000000000AAA")
        .pipe(Effect.flip)
      assert.strictEqual(raw._tag, "NotFoundError")
    }))
})

describe("integration: sessions", () => {
  it.scoped("an expired session is refreshed once and the request resent", () =>
    Effect.gen(function*() {
      const { control, grants, sf } = yield* connect()
      yield* sf.limits
      assert.strictEqual(yield* grants, 1)
      yield* control.expireAllSessions
      yield* sf.limits
      assert.strictEqual(yield* grants, 2)
    }))

  it.scoped("1,000 concurrent requests meeting a revoked session cause one refresh", () =>
    Effect.gen(function*() {
      const { control, grants, sf } = yield* connect()
      yield* sf.limits
      for (const session of yield* control.sessions) yield* control.revokeSession(session.token)
      const results = yield* Effect.forEach(Array.from({ length: 1000 }), () => sf.limits, { concurrency: "unbounded" })
      assert.strictEqual(results.length, 1000)
      assert.strictEqual(yield* grants, 2)
    }))

  it.scoped("a session that is not valid for the REST API fails at once, without a refresh", () =>
    Effect.gen(function*() {
      const { grants, sf } = yield* connect({
        connectedApps: [{ ...app, scopes: ["id"] }]
      })
      const error = yield* Effect.flip(sf.limits)
      assert.strictEqual(error._tag, "SessionRejectedError")
      assert.match(error.message, /not valid for use with the REST API/)
      assert.strictEqual(yield* grants, 1)
    }))
})

describe("integration: faults and retries", () => {
  it.scoped("retries an injected 503", () =>
    Effect.gen(function*() {
      const { control, requestsUnder, sf } = yield* connect()
      yield* control.injectFault({ path: `${v}/limits`, kind: { _tag: "Status", status: 503, body: "Service Unavailable" } })
      yield* sf.limits
      assert.strictEqual(yield* requestsUnder(`${v}/limits`), 2)
    }))

  it.scoped("retries a dropped connection on GET", () =>
    Effect.gen(function*() {
      const { control, requestsUnder, sf } = yield* connect()
      yield* control.injectFault({ path: `${v}/limits`, kind: { _tag: "Drop" } })
      yield* sf.limits
      yield* control.injectFault({ path: `${v}/limits`, kind: { _tag: "Drop", midResponse: true } })
      yield* sf.limits
      assert.strictEqual(yield* requestsUnder(`${v}/limits`), 4)
    }))

  it.scoped("does not resend a POST after a dropped connection or a 503, unless opted in", () =>
    Effect.gen(function*() {
      const { control, requestsUnder, sf } = yield* connect()
      const path = `${v}/sobjects/Account`
      yield* control.injectFault({ path, method: "POST", kind: { _tag: "Drop" } })
      const dropped = yield* Effect.flip(sf.sobject("Account").create({ Name: "Once" }))
      assert.strictEqual(dropped._tag, "ConnectionError")
      assert.isTrue((dropped as SalesforceError.ConnectionError).sent)
      assert.strictEqual(yield* requestsUnder(path), 1)
      yield* control.injectFault({ path, method: "POST", kind: { _tag: "Status", status: 503, body: "busy" } })
      const busy = yield* Effect.flip(sf.sobject("Account").create({ Name: "Once" }))
      assert.strictEqual(busy._tag, "ServerError")
      assert.strictEqual(yield* requestsUnder(path), 2)
      yield* control.injectFault({ path, method: "POST", kind: { _tag: "Drop" } })
      const { id } = yield* sf.sobject("Account").create({ Name: "Twice" }, { allowResend: true })
      assert.match(id, /^001/)
      assert.strictEqual(yield* requestsUnder(path), 4)
    }))

  it.scoped("never retries a 400", () =>
    Effect.gen(function*() {
      const { control, requestsUnder, sf } = yield* connect()
      yield* control.injectFault({
        path: `${v}/limits`,
        kind: { _tag: "Status", status: 400, body: [{ errorCode: "UNKNOWN", message: "no" }] }
      })
      const error = yield* Effect.flip(sf.limits)
      assert.strictEqual(error._tag, "SalesforceApiError")
      assert.strictEqual(yield* requestsUnder(`${v}/limits`), 1)
    }))

  it.scoped("the concurrency limit holds: the emulator never sees more in flight", () =>
    Effect.gen(function*() {
      const { control, sf } = yield* connect({ seed: { Account: accounts(1) } }, { concurrency: 4 })
      yield* sf.limits
      yield* control.resetCounters
      yield* control.injectFault({ path: `${v}/limits`, count: 40, kind: { _tag: "Delay", duration: "20 millis" } })
      yield* Effect.forEach(Array.from({ length: 40 }), () => sf.limits, { concurrency: "unbounded" })
      const counters = yield* control.counters
      assert.isAtMost(counters.peakInFlight, 4)
      assert.isAtLeast(counters.peakInFlight, 2)
      assert.strictEqual(counters.requestsPerPath[`${v}/limits`], 40)
    }))
})

describe("integration: events and orgs", () => {
  it.scoped("events arrive in order and never carry the token", () =>
    Effect.gen(function*() {
      const { control, events, sf } = yield* connect()
      yield* sf.limits
      yield* control.expireAllSessions
      yield* sf.sobject("Account").create({ Name: "Evented" })
      const all = yield* events
      const client = all.filter((e) => ("source" in e && e.source === "client") || e._tag === "ApiUsage" || e._tag === "TokenRefreshed")
      assert.deepStrictEqual(client.map((e) => e._tag), [
        "Request", "Response", "ApiUsage", // limits
        "Request", "Response", "ApiUsage", // 401
        "TokenRefreshed",
        "Request", "Response", "ApiUsage" // resent create
      ])
      assert.deepInclude(client[4], { status: 401 })
      assert.deepInclude(client[8], { status: 201, method: "POST" })
      const text = JSON.stringify(all)
      for (const session of yield* control.sessions) assert.notInclude(text, session.token)
      assert.notMatch(text, /Bearer|authorization/i)
    }))

  it.scoped("two orgs side by side, each with its own client, token and data", () =>
    Effect.gen(function*() {
      const east = yield* connect({ orgId: "00D000000000001", seed: { Account: [{ Name: "East Co" }] } })
      const west = yield* connect({ orgId: "00D000000000002", seed: { Account: [{ Name: "West Co" }, { Name: "West Two" }] } })
      const names = (sf: typeof east.sf) =>
        Effect.map(Stream.runCollect(sf.query("SELECT Name FROM Account")), (c) => Chunk.toArray(c).map((r) => r.Name))
      const [e, w] = yield* Effect.all([names(east.sf), names(west.sf)], { concurrency: 2 })
      assert.deepStrictEqual(e, ["East Co"])
      assert.deepStrictEqual(w.sort(), ["West Co", "West Two"])
      yield* east.control.expireAllSessions
      yield* names(east.sf)
      yield* names(west.sf)
      assert.strictEqual(yield* east.grants, 2)
      assert.strictEqual(yield* west.grants, 1)
    }))
})

describe("integration: trace context", () => {
  it.scoped("no traceparent or b3 header reaches Salesforce, from the client or the auth layer, inside a span", () =>
    Effect.gen(function*() {
      const { control, sf } = yield* connect()
      yield* sf.limits.pipe(Effect.withSpan("user.operation"))
      const log = yield* control.requestLog
      assert.isAbove(log.length, 1)
      for (const entry of log) {
        assert.notProperty(entry.headers, "traceparent", entry.path)
        assert.notProperty(entry.headers, "b3", entry.path)
      }
    }))
})
