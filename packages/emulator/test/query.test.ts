import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { parse, SoqlError } from "../src/internal/soql.js"
import { buildTypes } from "../src/internal/schema.js"
import { get, sendJson, withToken } from "./helpers.js"

const q = (api: string, soql: string, kind = "query") => `${api}/${kind}?q=${encodeURIComponent(soql)}`

const seed = {
  Account: Array.from({ length: 7 }, (_, i) => ({
    Name: `Account ${i}`,
    Industry: i % 2 === 0 ? "Energy" : "Retail",
    NumberOfEmployees: i * 10,
    BillingCity: i < 3 ? "Paris" : null
  }))
}

describe("query", () => {
  it.scoped("SELECT fields FROM one type WHERE a = 'x' AND b = 'y' LIMIT n", () =>
    Effect.gen(function*() {
      const { token, api } = yield* withToken({ seed })
      const reply = yield* get(q(api, "SELECT Id, Name, Industry FROM Account WHERE Industry = 'energy' AND BillingCity = 'Paris' LIMIT 5"), token)
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.json.totalSize, 2)
      assert.isTrue(reply.json.done)
      assert.isUndefined(reply.json.nextRecordsUrl)
      const first = reply.json.records[0]
      assert.deepStrictEqual(Object.keys(first), ["attributes", "Id", "Name", "Industry"])
      assert.deepStrictEqual(first.attributes, { type: "Account", url: `/services/data/v64.0/sobjects/Account/${first.Id}` })
      assert.deepStrictEqual(reply.json.records.map((r: { Name: string }) => r.Name), ["Account 0", "Account 2"])
      const limited = yield* get(q(api, "select name from account limit 3"), token)
      assert.strictEqual(limited.json.totalSize, 3)
      assert.deepStrictEqual(Object.keys(limited.json.records[0]), ["attributes", "Name"])
    }))

  it.scoped("OR, NOT, IN, LIKE, comparisons, null, ORDER BY, OFFSET, COUNT()", () =>
    Effect.gen(function*() {
      const { token, api } = yield* withToken({ seed })
      const names = (soql: string) => Effect.map(get(q(api, soql), token), (r) => r.json.records.map((x: { Name: string }) => x.Name))
      assert.deepStrictEqual(yield* names("SELECT Name FROM Account WHERE NumberOfEmployees >= 50 OR Name = 'Account 0' ORDER BY Name DESC"), ["Account 6", "Account 5", "Account 0"])
      assert.deepStrictEqual(yield* names("SELECT Name FROM Account WHERE Name IN ('Account 1', 'Account 3') AND NOT Industry = 'Energy'"), ["Account 1", "Account 3"])
      assert.deepStrictEqual(yield* names("SELECT Name FROM Account WHERE Name LIKE '%4' OR (BillingCity = null AND NumberOfEmployees < 40)"), ["Account 3", "Account 4"])
      assert.deepStrictEqual(yield* names("SELECT Name FROM Account WHERE Industry != 'Energy' ORDER BY NumberOfEmployees DESC LIMIT 2 OFFSET 1"), ["Account 3", "Account 1"])
      const count = yield* get(q(api, "SELECT COUNT() FROM Account WHERE Industry = 'Retail'"), token)
      assert.deepStrictEqual(count.json, { totalSize: 3, done: true, records: [] })
    }))

  it.scoped("paginates with nextRecordsUrl across 3+ pages", () =>
    Effect.gen(function*() {
      const { emulator, token, api } = yield* withToken({ seed, queryBatchSize: 2 })
      const first = yield* get(q(api, "SELECT Id, Name FROM Account ORDER BY Name"), token)
      assert.strictEqual(first.json.totalSize, 7)
      assert.isFalse(first.json.done)
      assert.lengthOf(first.json.records, 2)
      assert.match(first.json.nextRecordsUrl, /^\/services\/data\/v64\.0\/query\/01g[A-Za-z0-9]{15}-2$/)
      const names: Array<string> = first.json.records.map((r: { Name: string }) => r.Name)
      let next: string | undefined = first.json.nextRecordsUrl
      let pages = 1
      while (next !== undefined) {
        const page = yield* get(`${emulator.baseUrl}${next}`, token)
        assert.strictEqual(page.status, 200)
        assert.strictEqual(page.json.totalSize, 7)
        names.push(...page.json.records.map((r: { Name: string }) => r.Name))
        next = page.json.nextRecordsUrl
        assert.strictEqual(page.json.done, next === undefined)
        pages++
      }
      assert.strictEqual(pages, 4)
      assert.deepStrictEqual(names, Array.from({ length: 7 }, (_, i) => `Account ${i}`))
    }))

  it.scoped("Sforce-Query-Options batchSize lowers the page size (minimum 200)", () =>
    Effect.gen(function*() {
      const many = { Account: Array.from({ length: 450 }, (_, i) => ({ Name: `A${i}` })) }
      const { token, api } = yield* withToken({ seed: many })
      const plain = yield* get(q(api, "SELECT Id FROM Account"), token)
      assert.lengthOf(plain.json.records, 450)
      const batched = yield* get(q(api, "SELECT Id FROM Account"), token, { "Sforce-Query-Options": "batchSize=50" })
      assert.lengthOf(batched.json.records, 200)
      assert.match(batched.json.nextRecordsUrl, /-200$/)
    }))

  it.scoped("an unknown locator or one idle for 15 minutes is INVALID_QUERY_LOCATOR", () =>
    Effect.gen(function*() {
      const { emulator, token, api } = yield* withToken({ seed, queryBatchSize: 2 })
      const bad = yield* get(`${api}/query/01g000000000000AAA-2`, token)
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(bad.json[0].errorCode, "INVALID_QUERY_LOCATOR")
      const first = yield* get(q(api, "SELECT Id FROM Account"), token)
      yield* emulator.control.advanceClock("16 minutes")
      const stale = yield* get(`${emulator.baseUrl}${first.json.nextRecordsUrl}`, token)
      assert.strictEqual(stale.json[0].errorCode, "INVALID_QUERY_LOCATOR")
    }))

  it.scoped("queryAll includes deleted records; query does not", () =>
    Effect.gen(function*() {
      const { token, api } = yield* withToken({ seed })
      const one = yield* get(q(api, "SELECT Id FROM Account WHERE Name = 'Account 1'"), token)
      yield* sendJson("DELETE", `${api}/sobjects/Account/${one.json.records[0].Id}`, token)
      assert.strictEqual((yield* get(q(api, "SELECT Id FROM Account"), token)).json.totalSize, 6)
      const all = yield* get(q(api, "SELECT Id, IsDeleted FROM Account WHERE Name = 'Account 1'", "queryAll"), token)
      assert.strictEqual(all.json.totalSize, 1)
      assert.isTrue(all.json.records[0].IsDeleted)
    }))

  it.scoped("MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE in Salesforce's error-array shape", () =>
    Effect.gen(function*() {
      const { token, api } = yield* withToken()
      const malformed = yield* get(q(api, "SELECT Id FORM Account"), token)
      assert.strictEqual(malformed.status, 400)
      assert.deepStrictEqual(malformed.json, [{
        message: "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'",
        errorCode: "MALFORMED_QUERY"
      }])
      const field = yield* get(q(api, "SELECT Foo FROM Account"), token)
      assert.strictEqual(field.json[0].errorCode, "INVALID_FIELD")
      assert.include(field.json[0].message, "\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'Account'.")
      const type = yield* get(q(api, "SELECT Id FROM Foo"), token)
      assert.strictEqual(type.json[0].errorCode, "INVALID_TYPE")
      assert.include(type.json[0].message, "sObject type 'Foo' is not supported.")
      const empty = yield* get(`${api}/query`, token)
      assert.strictEqual(empty.json[0].errorCode, "MALFORMED_QUERY")
    }))
})

describe("SOQL parser", () => {
  const types = buildTypes({})
  const typeOf = (name: string) => types.get(name.toLowerCase())
  const error = (soql: string) => {
    try {
      parse(soql, typeOf)
    } catch (e) {
      if (e instanceof SoqlError) return e.errorCode
    }
    return "none"
  }

  it("canonicalises field names and keeps select order", () => {
    const query = parse("select NAME, id from ACCOUNT where name = 'x' order by name limit 1", typeOf)
    assert.deepStrictEqual(query.fields, ["Name", "Id"])
    assert.strictEqual(query.type.name, "Account")
    assert.strictEqual(query.limit, 1)
  })

  it("refuses what it does not understand", () => {
    assert.strictEqual(error("SELECT Owner.Name FROM Account"), "INVALID_FIELD")
    assert.strictEqual(error("SELECT Id FROM Account WHERE Name = 'unterminated"), "MALFORMED_QUERY")
    assert.strictEqual(error("SELECT Id, Id FROM Account"), "MALFORMED_QUERY")
    assert.strictEqual(error("SELECT Id FROM Account LIMIT x"), "MALFORMED_QUERY")
    assert.strictEqual(error("SELECT Id FROM Account WHERE Name = 'a' extra"), "MALFORMED_QUERY")
    assert.strictEqual(error("SELECT Id FROM Account WHERE Name = 'it\\'s'"), "none")
  })
})
