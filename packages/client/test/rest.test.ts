import * as Salesforce from "@effect-salesforce/client/Salesforce"
import type * as SalesforceError from "@effect-salesforce/client/SalesforceError"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { env, instanceUrl, json, makeStub, type Sent, setup, sfError } from "./stub.js"

const v = "/services/data/v64.0"

/** Three pages of two records: /query, then /query/01gX-2, /query/01gX-4. */
const pages = (s: Sent) => {
  const offset = s.url.pathname === `${v}/query` || s.url.pathname === `${v}/queryAll`
    ? 0
    : Number(s.url.pathname.split("-").pop())
  const records = [offset, offset + 1].map((i) => ({
    attributes: { type: "Account", url: `${v}/sobjects/Account/001${i}` },
    Id: `001${i}`,
    Name: `Account ${i}`
  }))
  const done = offset >= 4
  return json(200, { totalSize: 6, done, ...(done ? {} : { nextRecordsUrl: `${v}/query/01gX-${offset + 2}` }), records })
}

describe("query", () => {
  it.scoped("streams every page, following nextRecordsUrl", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(pages)
      const records = Chunk.toArray(yield* Stream.runCollect(sf.query("SELECT Id, Name FROM Account")))
      assert.deepStrictEqual(records.map((r) => r.Id), ["0010", "0011", "0012", "0013", "0014", "0015"])
      assert.deepStrictEqual(sent.map((s) => s.url.pathname), [`${v}/query`, `${v}/query/01gX-2`, `${v}/query/01gX-4`])
      assert.strictEqual(sent[0]!.url.searchParams.get("q"), "SELECT Id, Name FROM Account")
    }))

  it.scoped("is lazy: taking what the first page holds fetches only that page", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(pages)
      const records = yield* Stream.runCollect(sf.query("SELECT Id FROM Account").pipe(Stream.take(2)))
      assert.strictEqual(Chunk.size(records), 2)
      assert.strictEqual(sent.length, 1)
    }))

  it.scoped("queryAll uses /queryAll", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(pages)
      yield* Stream.runDrain(sf.queryAll("SELECT Id FROM Account").pipe(Stream.take(1)))
      assert.strictEqual(sent[0]!.url.pathname, `${v}/queryAll`)
    }))

  it.scoped("decodes records with a Schema, and fails with a ParseError on a mismatch", () =>
    Effect.gen(function*() {
      const { sf } = yield* setup(pages)
      const Account = Schema.Struct({ Id: Schema.String, Name: Schema.String })
      const records = yield* Stream.runCollect(sf.query("SELECT Id, Name FROM Account", Account))
      assert.deepStrictEqual(Chunk.toArray(records)[0], { Id: "0010", Name: "Account 0" })
      const Wrong = Schema.Struct({ Id: Schema.Number })
      const error = yield* Effect.flip(Stream.runCollect(sf.query("SELECT Id FROM Account", Wrong)))
      assert.strictEqual(error._tag, "ParseError")
    }))

  it.scoped("refuses a nextRecordsUrl on another host", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(() =>
        json(200, { totalSize: 4, done: false, nextRecordsUrl: "https://evil.example.com/steal", records: [{ Id: "1" }] })
      )
      const error = yield* Effect.flip(Stream.runCollect(sf.query("SELECT Id FROM Account")))
      assert.strictEqual(error._tag, "InvalidRequestError")
      assert.strictEqual(sent.length, 1)
    }))

  it.scoped("a query error is a SalesforceApiError with the code and message", () =>
    Effect.gen(function*() {
      const { sf } = yield* setup(() => sfError(400, "INVALID_FIELD", "No such column 'Foo' on entity 'Account'"))
      const error = yield* Effect.flip(Stream.runCollect(sf.query("SELECT Foo FROM Account")))
      assert.deepInclude(error, { _tag: "SalesforceApiError", status: 400, errorCode: "INVALID_FIELD" })
      assert.match(error.message, /No such column/)
    }))
})

describe("sobject", () => {
  const record = { attributes: { type: "Account", url: `${v}/sobjects/Account/001A` }, Id: "001A", Name: "Acme" }

  it.scoped("get, with and without fields", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(() => json(200, record))
      const got = yield* sf.sobject("Account").get("001A", ["Id", "Name"])
      assert.strictEqual(got.Name, "Acme")
      yield* sf.sobject("Account").get("001A")
      assert.strictEqual(sent[0]!.url.href, `${instanceUrl}${v}/sobjects/Account/001A?fields=Id%2CName`)
      assert.strictEqual(sent[1]!.url.search, "")
    }))

  it.scoped("get of a missing record is a NotFoundError", () =>
    Effect.gen(function*() {
      const { sf } = yield* setup(() => sfError(404, "NOT_FOUND", "The requested resource does not exist"))
      const error = yield* Effect.flip(sf.sobject("Account").get("001missing"))
      assert.deepInclude(error, { _tag: "NotFoundError", status: 404, errorCode: "NOT_FOUND" })
      assert.strictEqual((error as SalesforceError.NotFoundError).request, "GET /services/data/v64.0/sobjects/Account/001missing")
    }))

  it.scoped("path segments are encoded", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(() => json(200, record))
      yield* sf.sobject("Account").getByExternalId("External_Id__c", "A&B ..%x")
      assert.strictEqual(sent[0]!.url.pathname, `${v}/sobjects/Account/External_Id__c/A%26B%20..%25x`)
      // a value that is not one path segment is refused before sending
      const error = yield* Effect.flip(sf.sobject("Account").getByExternalId("External_Id__c", "A/B"))
      assert.strictEqual(error._tag, "InvalidRequestError")
      assert.strictEqual(sent.length, 1)
    }))

  it.scoped("getByExternalId: one record, or MoreThanOneRecordError on 300", () =>
    Effect.gen(function*() {
      const one = yield* setup(() => json(200, record))
      assert.strictEqual((yield* one.sf.sobject("Account").getByExternalId("Ext__c", "A")).Id, "001A")
      const many = yield* setup(() => json(300, [`${v}/sobjects/Account/001A`, `${v}/sobjects/Account/001B`]))
      const error = yield* Effect.flip(many.sf.sobject("Account").getByExternalId("Ext__c", "A"))
      assert.strictEqual(error._tag, "MoreThanOneRecordError")
      const multiple = error as SalesforceError.MoreThanOneRecordError
      assert.deepStrictEqual(multiple.ids, ["001A", "001B"])
      assert.strictEqual(multiple.status, 300)
    }))

  it.scoped("create sends the JSON body and returns the id; save errors keep their fields", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup((s) =>
        s.body?.includes("Name") ? json(201, { id: "001N", success: true, errors: [] }) :
          sfError(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", { fields: ["Name"] })
      )
      assert.deepStrictEqual(yield* sf.sobject("Account").create({ Name: "New" }), { id: "001N" })
      assert.strictEqual(sent[0]!.method, "POST")
      assert.deepStrictEqual(JSON.parse(sent[0]!.body!), { Name: "New" })
      assert.strictEqual(sent[0]!.headers["content-type"], "application/json")
      const error = yield* Effect.flip(sf.sobject("Account").create({ Industry: "x" }))
      assert.deepInclude(error, { _tag: "SalesforceApiError", errorCode: "REQUIRED_FIELD_MISSING" })
      assert.deepStrictEqual((error as SalesforceError.SalesforceApiError).fields, ["Name"])
    }))

  it.scoped("create blocked by a duplicate rule exposes the duplicates", () =>
    Effect.gen(function*() {
      const { sf } = yield* setup(() =>
        json(400, [{
          duplicateResult: {
            allowSave: false,
            duplicateRule: "Standard_Contact_Duplicate_Rule",
            duplicateRuleEntityType: "Contact",
            errorMessage: "Use one of these records?",
            matchResults: [{
              entityType: "Contact",
              matchRecords: [{
                matchConfidence: 100,
                record: { attributes: { type: "Contact", url: `${v}/sobjects/Contact/003A` }, Id: "003A" }
              }],
              rule: "Standard_Contact_Match_Rule_v1_1",
              size: 1,
              success: true
            }]
          },
          errorCode: "DUPLICATES_DETECTED",
          message: "Use one of these records?"
        }])
      )
      const error = yield* Effect.flip(sf.sobject("Contact").create({ LastName: "Coyote" }))
      assert.strictEqual(error._tag, "DuplicatesDetectedError")
      const dup = error as SalesforceError.DuplicatesDetectedError
      assert.strictEqual(dup.duplicateRule, "Standard_Contact_Duplicate_Rule")
      assert.strictEqual(dup.duplicates.length, 1)
      assert.deepInclude(dup.duplicates[0], { id: "003A", sobject: "Contact", matchConfidence: 100, rule: "Standard_Contact_Match_Rule_v1_1" })
      assert.isFalse(dup.isRetryable)
    }))

  it.scoped("update and delete answer 204", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(() => ({ status: 204 }))
      yield* sf.sobject("Account").update("001A", { Name: "Renamed" })
      yield* sf.sobject("Account").delete("001A")
      assert.deepStrictEqual(sent.map((s) => `${s.method} ${s.url.pathname}`), [
        `PATCH ${v}/sobjects/Account/001A`,
        `DELETE ${v}/sobjects/Account/001A`
      ])
      assert.deepStrictEqual(JSON.parse(sent[0]!.body!), { Name: "Renamed" })
    }))

  it.scoped("upsert tells created from updated, leaves the external id out of the body, and 300 fails", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup((_, i) =>
        i === 0
          ? json(201, { id: "001C", success: true, errors: [], created: true })
          : i === 1
          ? json(200, { id: "001C", success: true, errors: [], created: false })
          : json(300, [`${v}/sobjects/Account/001A`, `${v}/sobjects/Account/001B`])
      )
      const accounts = sf.sobject("Account")
      assert.deepStrictEqual(yield* accounts.upsert("Ext__c", "E1", { Ext__c: "E1", Name: "A" }), { id: "001C", created: true })
      assert.deepStrictEqual(yield* accounts.upsert("Ext__c", "E1", { Name: "B" }), { id: "001C", created: false })
      const error = yield* Effect.flip(accounts.upsert("Ext__c", "E1", { Name: "C" }))
      assert.strictEqual(error._tag, "MoreThanOneRecordError")
      assert.strictEqual(sent[0]!.method, "PATCH")
      assert.strictEqual(sent[0]!.url.pathname, `${v}/sobjects/Account/Ext__c/E1`)
      assert.deepStrictEqual(JSON.parse(sent[0]!.body!), { Name: "A" })
    }))

  it.scoped("upsert on an old API version (204, no body) looks the id up", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup((s) => (s.method === "PATCH" ? { status: 204 } : json(200, { Id: "001Z" })))
      assert.deepStrictEqual(yield* sf.sobject("Account").upsert("Ext__c", "Z", { Name: "Z" }), { id: "001Z", created: false })
      assert.strictEqual(sent.length, 2)
    }))

  it.scoped("a success body that is not JSON is the client's UnexpectedResponseError", () =>
    Effect.gen(function*() {
      const { sf } = yield* setup(() => ({ status: 200, body: "<html>hi</html>", headers: { "content-type": "text/html" } }))
      const error = yield* Effect.flip(sf.sobject("Account").get("001A"))
      assert.strictEqual(error._tag, "UnexpectedResponseError")
    }))
})

describe("limits", () => {
  it.scoped("returns each limit's Max and Remaining", () =>
    Effect.gen(function*() {
      const { sent, sf } = yield* setup(() =>
        json(200, {
          DailyApiRequests: { Max: 15000, Remaining: 14980, "Ant Migration Tool": { Max: 0, Remaining: 0 } },
          DailyBulkApiRequests: { Max: 5000, Remaining: 5000 }
        })
      )
      const limits = yield* sf.limits
      assert.strictEqual(limits.DailyApiRequests!.Max, 15000)
      assert.strictEqual(limits.DailyApiRequests!.Remaining, 14980)
      assert.strictEqual(sent[0]!.url.pathname, `${v}/limits`)
    }))
})

describe("a consumer service, tested with TokenProvider.layerTest and no network", () => {
  // an application service built on Salesforce
  class Accounts extends Context.Tag("test/Accounts")<Accounts, {
    readonly rename: (id: string, name: string) => Effect.Effect<string, Salesforce.Salesforce.Error>
  }>() {}
  const AccountsLive = Layer.effect(
    Accounts,
    Effect.map(Salesforce.Salesforce, (sf) => ({
      rename: (id, name) =>
        sf.sobject("Account").update(id, { Name: name }).pipe(
          Effect.zipRight(sf.sobject("Account").get(id, ["Name"])),
          Effect.map((r) => String(r.Name))
        )
    }))
  )

  it.scoped("renames an account", () =>
    Effect.gen(function*() {
      const names = new Map<string, string>([["001A", "Old"]])
      const stub = makeStub((s) => {
        if (s.method === "PATCH") {
          names.set("001A", JSON.parse(s.body!).Name)
          return { status: 204 }
        }
        return json(200, { Id: "001A", Name: names.get("001A") })
      })
      const layer = AccountsLive.pipe(
        Layer.provide(Salesforce.layer()),
        Layer.provide(env(stub.client))
      )
      const renamed = yield* Effect.flatMap(Accounts, (a) => a.rename("001A", "New")).pipe(Effect.provide(layer))
      assert.strictEqual(renamed, "New")
      assert.strictEqual(stub.sent.length, 2)
    }))
})
