import * as Soql from "@effect-salesforce/client/Soql"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { connect } from "./emulator.js"

describe("Soql", () => {
  it("quotes and escapes literals", () => {
    assert.strictEqual(Soql.quote("O'Brien"), "'O\\'Brien'")
    assert.strictEqual(Soql.quote("a\\b\"c\nd"), "'a\\\\b\\\"c\\nd'")
    assert.strictEqual(Soql.likeEscape("50%_off"), "50\\%\\_off")
    assert.strictEqual(Soql.literal(null), "null")
    assert.strictEqual(Soql.literal(true), "true")
    assert.strictEqual(Soql.literal(new Date(Date.UTC(2026, 10, 22, 9, 30))), "2026-11-22T09:30:00Z")
    assert.strictEqual(Soql.literal(["a", 1]), "('a', 1)")
    assert.throws(() => Soql.literal(Number.NaN))
    assert.strictEqual(
      Soql.soql`SELECT Id FROM Account WHERE Name = ${"x' OR Name != '"} LIMIT ${5}`,
      "SELECT Id FROM Account WHERE Name = 'x\\' OR Name != \\'' LIMIT 5"
    )
  })

  it.scoped("an injection attempt stays a literal over real HTTP", () =>
    Effect.gen(function*() {
      const { sf } = yield* connect({ seed: { Account: [{ Name: "Acme" }, { Name: "Globex" }] } })
      const hostile = "nobody' OR Name != 'x"
      const records = yield* Stream.runCollect(sf.query(Soql.soql`SELECT Id, Name FROM Account WHERE Name = ${hostile}`))
      assert.strictEqual(Chunk.size(records), 0)
      const acme = yield* Stream.runCollect(sf.query(Soql.soql`SELECT Id, Name FROM Account WHERE Name = ${"Acme"}`))
      assert.strictEqual(Chunk.size(acme), 1)
    }))
})
