/**
 * SalesforceCli with a fake `sf` on PATH that prints the CLI's documented `--json` shapes and
 * records how it was called.
 */
import * as SalesforceCli from "@effect-salesforce/auth/SalesforceCli"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "fake-sf-"))
const fake = `#!/usr/bin/env node
const fs = require("fs")
const path = require("path")
const dir = ${JSON.stringify(dir)}
const args = process.argv.slice(2)
fs.appendFileSync(path.join(dir, "calls"), JSON.stringify({ args, noColor: process.env.NO_COLOR }) + "\\n")
const mode = fs.readFileSync(path.join(dir, "mode"), "utf8").trim()
const out = (value, code = 0) => { process.stdout.write(JSON.stringify(value, null, 2) + "\\n"); process.exit(code) }
const command = args.slice(0, args.indexOf("--json")).join(" ")
if (mode === "not-logged-in") {
  out({ status: 1, name: "NoDefaultEnvError", message: "No default environment found. Use -o or --target-org to specify an environment.", exitCode: 1 }, 1)
}
if (mode === "failing") out({ status: 1, name: "GenericTimeoutError", message: "Socket timeout 00D5g000004XXXX!AQ4leaked" }, 1)
if (mode === "garbage") { process.stdout.write("Warning: update available\\n<html>oops</html>"); process.exit(0) }
if (mode === "huge") { process.stdout.write("x".repeat(2 * 1024 * 1024), () => process.exit(0)); return }
if (mode === "missing") out({ status: 0, result: { username: "dev@example.com" } })
const org = { id: "00D5g000004XXXXEAA", instanceUrl: "https://acme.my.salesforce.com", username: "dev@example.com", connectedStatus: "Connected" }
if (command === "org display") out({ status: 0, result: org, warnings: [] })
if (command === "org auth show-access-token") {
  const file = path.join(dir, "count")
  const n = (fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8")) : 0) + 1
  fs.writeFileSync(file, String(n))
  out({ status: 0, result: { accessToken: "00D5g000004XXXX!FakeToken" + n, instanceUrl: org.instanceUrl, username: org.username, id: org.id } })
}
out({ status: 1, name: "UnknownCommand", message: "unknown command " + command }, 1)
`
Fs.writeFileSync(Path.join(dir, "sf"), fake, { mode: 0o755 })
process.env.PATH = `${dir}${Path.delimiter}${process.env.PATH ?? ""}`

const setMode = (mode: string) =>
  Effect.sync(() => {
    Fs.writeFileSync(Path.join(dir, "mode"), mode)
    Fs.rmSync(Path.join(dir, "calls"), { force: true })
    Fs.rmSync(Path.join(dir, "count"), { force: true })
  })
const calls = Effect.sync(() =>
  Fs.existsSync(Path.join(dir, "calls"))
    ? Fs.readFileSync(Path.join(dir, "calls"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { args: Array<string>; noColor: string })
    : []
)
const env = Layer.mergeAll(SalesforceEvents.layer(), NodeContext.layer)
const provider = (options: SalesforceCli.Options = {}) => Effect.provide(SalesforceCli.make(options), env)

describe("SalesforceCli", () => {
  it.scoped("token from show-access-token, instance URL from org display, --json and NO_COLOR=1; a refresh runs them again", () =>
    Effect.gen(function*() {
      yield* setMode("ok")
      const tokens = yield* provider({ targetOrg: "my-dev-org" })
      const first = yield* tokens.get
      assert.strictEqual(Redacted.value(first.value), "00D5g000004XXXX!FakeToken1")
      assert.strictEqual(first.instanceUrl, "https://acme.my.salesforce.com")
      assert.deepStrictEqual(yield* calls, [
        { args: ["org", "display", "--json", "--target-org", "my-dev-org"], noColor: "1" },
        { args: ["org", "auth", "show-access-token", "--json", "--target-org", "my-dev-org"], noColor: "1" }
      ])
      assert.strictEqual(Redacted.value((yield* tokens.get).value), "00D5g000004XXXX!FakeToken1", "cached")
      const second = yield* tokens.refresh(first)
      assert.strictEqual(Redacted.value(second.value), "00D5g000004XXXX!FakeToken2")
      assert.strictEqual((yield* calls).length, 4)
    }))

  it.scoped("sf not installed: SF_NOT_INSTALLED naming how to install and log in", () =>
    Effect.gen(function*() {
      const tokens = yield* provider({ executable: "sf-not-installed-here" })
      const error = yield* Effect.flip(tokens.get)
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(error._tag === "AuthenticationError" && error.code, "SF_NOT_INSTALLED")
      assert.include(error.message, "npm install --global @salesforce/cli")
    }))

  it.scoped("not logged in: SF_ORG_NOT_LOGGED_IN naming sf org login web; not remembered, so a retry runs the CLI", () =>
    Effect.gen(function*() {
      yield* setMode("not-logged-in")
      const tokens = yield* provider()
      const error = yield* Effect.flip(tokens.get)
      assert.strictEqual(error._tag === "AuthenticationError" && error.code, "SF_ORG_NOT_LOGGED_IN")
      assert.include(error.message, `"sf org login web --set-default"`)
      assert.include(error.message, "No default environment found")
      yield* setMode("ok")
      assert.strictEqual(Redacted.value((yield* tokens.get).value), "00D5g000004XXXX!FakeToken1")
      const named = yield* Effect.flip(
        Effect.flatMap(provider({ targetOrg: "dev" }), (p) => Effect.zipRight(setMode("not-logged-in"), p.get))
      )
      assert.include(named.message, `"sf org login web --alias dev"`)
    }))

  it.scoped("other CLI errors, output that is not the CLI's JSON, a missing field and too much output", () =>
    Effect.gen(function*() {
      yield* setMode("failing")
      const failing = yield* Effect.flip(Effect.flatMap(provider(), (p) => p.get))
      assert.strictEqual(failing._tag === "AuthenticationError" && failing.code, "SF_COMMAND_FAILED")
      assert.include(failing.message, "sf org display --json")
      assert.notInclude(failing.message, "AQ4leaked")
      yield* setMode("garbage")
      const garbage = yield* Effect.flip(Effect.flatMap(provider(), (p) => p.get))
      assert.strictEqual(garbage._tag, "MalformedResponseError")
      assert.include(garbage.message, "sf org display --json")
      yield* setMode("missing")
      const missing = yield* Effect.flip(Effect.flatMap(provider(), (p) => p.get))
      assert.strictEqual(missing._tag, "MalformedResponseError")
      assert.include(missing.message, "instanceUrl is missing")
      yield* setMode("huge")
      const huge = yield* Effect.flip(Effect.flatMap(provider(), (p) => p.get))
      assert.strictEqual(huge._tag, "MalformedResponseError")
      assert.include(huge.message, "more than 1048576 bytes", huge.message)
    }))

  it.scoped("a targetOrg or executable that looks like a flag is refused before anything runs", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(provider({ targetOrg: "--help" }))
      assert.strictEqual(error._tag, "InvalidConfigError")
    }))
})
