/**
 * `effect-salesforce login` as a child process against the emulator: the test plays the browser
 * (it reads the printed URL and follows the redirect to the command's receiver).
 */
import * as RefreshToken from "@effect-salesforce/auth/RefreshToken"
import * as SalesforceConfig from "@effect-salesforce/auth/SalesforceConfig"
import * as SalesforceEvents from "@effect-salesforce/auth/SalesforceEvents"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import { Emulator } from "@effect-salesforce/emulator"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { browse, freePort } from "./methods/browser.js"

const bin = fileURLToPath(new URL("../bin/effect-salesforce.mjs", import.meta.url))
const clientId = "3MVG9LoginCommandApp"

interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Run the command; `onUrl` plays the browser once the URL is printed. */
const runLogin = (args: ReadonlyArray<string>, onUrl: (url: string) => Promise<unknown>, env: Record<string, string> = {}) =>
  Effect.promise(() =>
    new Promise<Finished>((resolve, reject) => {
      const child = ChildProcess.spawn(process.execPath, [bin, ...args], {
        env: { ...process.env, SALESFORCE_CLIENT_ID: "", SALESFORCE_CLIENT_SECRET: "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      let browsed = false
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000)
      child.stdout.on("data", (chunk) => (stdout += chunk))
      child.stderr.on("data", (chunk) => {
        stderr += chunk
        const url = /https?:\/\/\S+\/services\/oauth2\/authorize\S+/.exec(stderr)
        if (url !== null && !browsed) {
          browsed = true
          onUrl(url[0]).catch(reject)
        }
      })
      child.on("error", reject)
      child.on("close", (code) => {
        clearTimeout(timer)
        resolve({ code, stdout, stderr })
      })
    })
  )

const setUp = Effect.gen(function*() {
  const port = yield* freePort
  const emulator = yield* Emulator.make({ refreshTokenRotation: true })
  yield* emulator.control.addConnectedApp({ clientId, callbackUrls: [`http://127.0.0.1:${port}/OauthRedirect`] })
  const args = ["login", "--client-id", clientId, "--login-url", emulator.baseUrl, "--port", String(port), "--no-open"]
  return { emulator, port, args }
})

const follow = (url: string) => Effect.runPromise(browse(url))

describe("effect-salesforce login", () => {
  it.scopedLive("writes SALESFORCE_* lines to a 0600 file that RefreshToken.layerConfig() logs in with", () =>
    Effect.gen(function*() {
      const { args, emulator } = yield* setUp
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "sf-login-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const out = Path.join(dir, "salesforce.env")
      const done = yield* runLogin([...args, "--out", out], follow)
      assert.strictEqual(done.code, 0, done.stderr)
      assert.strictEqual(done.stdout, "")
      assert.strictEqual(Fs.statSync(out).mode & 0o777, 0o600)
      const lines = Object.fromEntries(
        Fs.readFileSync(out, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.split(/=(.*)/s).slice(0, 2))
      )
      assert.deepStrictEqual(Object.keys(lines), ["SALESFORCE_BASE_URL", "SALESFORCE_CLIENT_ID", "SALESFORCE_REFRESH_TOKEN"])
      assert.strictEqual(lines["SALESFORCE_BASE_URL"], emulator.baseUrl)
      assert.strictEqual(lines["SALESFORCE_CLIENT_ID"], clientId)
      const refreshToken = lines["SALESFORCE_REFRESH_TOKEN"]!
      assert.match(refreshToken, /^5Aep861/)
      assert.notInclude(done.stderr, refreshToken, "the refresh token is never in a message")
      assert.include(done.stderr, "mode 0600")
      assert.deepStrictEqual(Fs.readdirSync(dir), ["salesforce.env"], "no temporary file left")

      const token = yield* Effect.flatMap(TokenProvider.TokenProvider, (p) => p.get).pipe(
        Effect.provide(
          RefreshToken.layerConfig().pipe(
            Layer.provide(Layer.mergeAll(SalesforceConfig.layerConfig(), SalesforceEvents.layer(), NodeHttpClient.layerUndici))
          )
        ),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(lines))))
      )
      assert.strictEqual(token.instanceUrl, emulator.baseUrl)
      assert.strictEqual((yield* emulator.control.counters).grantsPerType["refresh_token"], 1)
    }), 60_000)

  it.scopedLive("without --out the lines go to stdout; a denial exits 1 with the reason on stderr", () =>
    Effect.gen(function*() {
      const { args, emulator } = yield* setUp
      const ok = yield* runLogin(args, follow)
      assert.strictEqual(ok.code, 0, ok.stderr)
      assert.match(ok.stdout, /^SALESFORCE_REFRESH_TOKEN=5Aep861\S+$/m)
      const token = /^SALESFORCE_REFRESH_TOKEN=(\S+)$/m.exec(ok.stdout)![1]!
      assert.notInclude(ok.stderr, token)

      yield* emulator.control.setAuthorization({ _tag: "Deny" })
      const denied = yield* runLogin(args, follow)
      assert.strictEqual(denied.code, 1)
      assert.strictEqual(denied.stdout, "")
      assert.include(denied.stderr, "access_denied")
    }), 60_000)

  it.live("usage errors exit 2", () =>
    Effect.gen(function*() {
      const none = yield* runLogin(["login"], async () => undefined)
      assert.strictEqual(none.code, 2)
      assert.include(none.stderr, "--client-id is required")
      const bad = yield* runLogin(["login", "--client-id", "x", "--client-secret", "s"], async () => undefined)
      assert.strictEqual(bad.code, 2)
      assert.include(bad.stderr, "unknown argument --client-secret")
    }), 30_000)
})
