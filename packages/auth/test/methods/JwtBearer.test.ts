import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as JwtBearer from "@effect-salesforce/auth/JwtBearer"
import * as TokenProvider from "@effect-salesforce/auth/TokenProvider"
import { Emulator } from "@effect-salesforce/emulator"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { app, assertNoSecrets, emulatorEnv, recordEvents, stubClient, stubEnv, tags, user } from "./helpers.js"

const pkcs8 = Emulator.defaultJwtPrivateKey
const keyObject = crypto.createPrivateKey(pkcs8)
const pkcs1 = keyObject.export({ type: "pkcs1", format: "pem" }).toString()
const encrypted8 = keyObject.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "k3y-Passphrase!" }).toString()
const encrypted1 = keyObject.export({ type: "pkcs1", format: "pem", cipher: "aes-256-cbc", passphrase: "k3y-Passphrase!" }).toString()
const otherKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString()
/** A line from the middle of the key's base64: must never leak. */
const keyMaterial = pkcs8.split("\n")[5]!

const options = { clientId: app.clientId, username: user.username, privateKey: Redacted.make(pkcs8) }
const jwtGrants = Effect.flatMap(Emulator.Emulator, (e) => Effect.map(e.control.counters, (c) => c.grantsPerType["jwt_bearer"] ?? 0))

/** The assertions the emulator received, decoded (header and claims). */
const assertions = Effect.flatMap(Emulator.Emulator, (e) =>
  Effect.map(e.control.requestLog, (log) =>
    log.filter((r) => r.path === "/services/oauth2/token").map((r) => {
      const params = new URLSearchParams(r.body)
      const [header, claims] = (params.get("assertion") ?? "").split(".")
      return {
        grantType: params.get("grant_type"),
        raw: params.get("assertion") ?? "",
        header: JSON.parse(Buffer.from(header!, "base64url").toString()),
        claims: JSON.parse(Buffer.from(claims!, "base64url").toString())
      }
    })))

/** Line the TestClock up with the emulator's clock: assertions carry an absolute `exp`. */
const syncClock = Effect.flatMap(Emulator.Emulator, (e) => Effect.flatMap(e.control.now, TestClock.setTime))

describe("JwtBearer against the emulator", () => {
  it.scoped("logs in with an RS256 assertion: iss, sub, aud, exp now + 3 minutes", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.Emulator
      yield* syncClock
      const now = yield* control.now
      const provider = yield* JwtBearer.make(options)
      const token = yield* provider.get
      assert.strictEqual(token.instanceUrl, baseUrl)
      assert.isTrue(Option.isNone(token.expiresAt))
      const [sent] = yield* assertions
      assert.strictEqual(sent!.grantType, "urn:ietf:params:oauth:grant-type:jwt-bearer")
      assert.deepStrictEqual(sent!.header, { alg: "RS256" })
      const { exp, ...claims } = sent!.claims as { exp: number }
      assert.deepStrictEqual(claims, { iss: app.clientId, sub: user.username, aud: "https://login.salesforce.com" })
      // the emulator's clock moves on in real time: the second may have turned since `now` was read
      assert.include([Math.floor(now / 1000) + 180, Math.floor(now / 1000) + 181], exp)
      assert.notMatch(sent!.raw, /=/)
    }).pipe(Effect.provide(emulatorEnv({ jwtExpStrictness: "strict" }))))

  it.scoped("10 concurrent callers cause one grant", () =>
    Effect.gen(function*() {
      yield* syncClock
      const provider = yield* JwtBearer.make(options)
      const tokens = yield* Effect.all(Array.from({ length: 10 }, () => provider.get), { concurrency: "unbounded" })
      assert.strictEqual(new Set(tokens.map((t) => Redacted.value(t.value))).size, 1)
      assert.strictEqual(yield* jwtGrants, 1)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("PKCS#1, PKCS#8 and encrypted keys (both forms) with the right passphrase log in", () =>
    Effect.gen(function*() {
      yield* syncClock
      const keys = [
        { privateKey: Redacted.make(pkcs1) },
        { privateKey: Redacted.make(pkcs8) },
        { privateKey: Redacted.make(encrypted8), passphrase: Redacted.make("k3y-Passphrase!") },
        { privateKey: Redacted.make(encrypted1), passphrase: Redacted.make("k3y-Passphrase!") }
      ]
      for (const key of keys) {
        const provider = yield* JwtBearer.make({ clientId: app.clientId, username: user.username, ...key })
        yield* provider.get
      }
      assert.strictEqual(yield* jwtGrants, 4)
    }).pipe(Effect.provide(emulatorEnv({ jwtExpStrictness: "strict" }))))

  it.scoped("sandbox host: aud https://test.salesforce.com; production My Domain: login", () =>
    Effect.gen(function*() {
      yield* syncClock
      const provider = yield* JwtBearer.make(options)
      yield* provider.get
      const [sent] = yield* assertions
      assert.strictEqual(sent!.claims.aud, "https://test.salesforce.com")
    }).pipe(
      Effect.provide(
        emulatorEnv({ jwtAudiences: ["https://test.salesforce.com"] }, { baseUrl: "https://acme--dev.sandbox.my.salesforce.com" })
      )
    ))

  it.scoped("production My Domain: aud https://login.salesforce.com, refused by a sandbox-only server", () =>
    Effect.gen(function*() {
      yield* syncClock
      const provider = yield* JwtBearer.make(options)
      const error = yield* Effect.flip(provider.get)
      assert.strictEqual(error.message, "JwtBearer: [invalid_grant] audience is invalid")
      const [sent] = yield* assertions
      assert.strictEqual(sent!.claims.aud, "https://login.salesforce.com")
      // the audience option overrides the default
      const overridden = yield* JwtBearer.make({ ...options, audience: "https://test.salesforce.com" })
      yield* overridden.get
    }).pipe(
      Effect.provide(emulatorEnv({ jwtAudiences: ["https://test.salesforce.com"] }, { baseUrl: "https://acme.my.salesforce.com" }))
    ))

  it.scoped("an unknown client id, an unapproved user, a key the app does not know", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      yield* syncClock
      const unknown = yield* JwtBearer.make({ ...options, clientId: "3MVG9Unknown" })
      assert.strictEqual((yield* Effect.flip(unknown.get)).message, "JwtBearer: [invalid_client_id] client identifier invalid")
      yield* control.addUser({ username: "stranger@example.com", password: "x" })
      yield* control.addConnectedApp({
        clientId: "3MVG9Restricted",
        publicKey: crypto.createPublicKey(keyObject).export({ type: "spki", format: "pem" }).toString(),
        approvedUsers: [user.username]
      })
      const unapproved = yield* JwtBearer.make({ ...options, clientId: "3MVG9Restricted", username: "stranger@example.com" })
      assert.strictEqual((yield* Effect.flip(unapproved.get)).message, "JwtBearer: [invalid_grant] user hasn't approved this consumer")
      const wrongKey = yield* JwtBearer.make({ ...options, privateKey: Redacted.make(otherKey) })
      const error = yield* Effect.flip(wrongKey.get)
      assert.strictEqual(error.message, "JwtBearer: [invalid_grant] invalid assertion")
      assert.strictEqual(error._tag === "AuthenticationError" && error.status, 400)
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("with tokenLifetime: past expiry, one new grant with a fresh assertion", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      yield* syncClock
      const provider = yield* JwtBearer.make({ ...options, tokenLifetime: "30 minutes", proactiveRefresh: false })
      const first = yield* provider.get
      yield* TestClock.adjust("30 minutes")
      yield* control.advanceClock("30 minutes")
      const next = yield* Effect.all(Array.from({ length: 10 }, () => provider.get), { concurrency: "unbounded" })
      assert.strictEqual(new Set(next.map((t) => Redacted.value(t.value))).size, 1)
      assert.notStrictEqual(Redacted.value(next[0]!.value), Redacted.value(first.value))
      const sent = yield* assertions
      assert.strictEqual(sent.length, 2)
      assert.strictEqual(sent[1]!.claims.exp - sent[0]!.claims.exp, 30 * 60)
    }).pipe(Effect.provide(emulatorEnv({ jwtExpStrictness: "strict" }))))

  it.scoped("an assertion signed on a clock far behind the server's is 'expired authorization code'", () =>
    Effect.gen(function*() {
      const provider = yield* JwtBearer.make(options) // TestClock at 1970
      assert.strictEqual((yield* Effect.flip(provider.get)).message, "JwtBearer: [invalid_grant] expired authorization code")
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("events of one grant: Request, Response, TokenAcquired", () =>
    Effect.gen(function*() {
      yield* syncClock
      const { events } = yield* recordEvents
      const provider = yield* JwtBearer.make(options)
      yield* Effect.all(Array.from({ length: 4 }, () => provider.get), { concurrency: "unbounded" })
      assert.deepStrictEqual(tags(yield* events), ["Request", "Response", "TokenAcquired"])
    }).pipe(Effect.provide(emulatorEnv())))

  it.scoped("a key file is read once, through FileSystem", () =>
    Effect.gen(function*() {
      yield* syncClock
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jwt-key-"))
      const file = path.join(dir, "server.key")
      fs.writeFileSync(file, pkcs1)
      const provider = yield* JwtBearer.make({ clientId: app.clientId, username: user.username, privateKeyFile: file })
      const token = yield* provider.get
      fs.rmSync(dir, { recursive: true })
      yield* provider.refresh(token)
      assert.strictEqual(yield* jwtGrants, 2)
    }).pipe(Effect.provide(Layer.merge(emulatorEnv(), NodeFileSystem.layer))))

  it.scoped("secrets never appear in events or errors", () =>
    Effect.gen(function*() {
      const { control } = yield* Emulator.Emulator
      const { events } = yield* recordEvents
      const errors: Array<unknown> = []
      errors.push(yield* Effect.flip(Effect.flatMap(JwtBearer.make(options), (p) => p.get))) // expired exp
      yield* syncClock
      const provider = yield* JwtBearer.make(options)
      const token = yield* provider.get
      yield* provider.refresh(token)
      errors.push(yield* Effect.flip(JwtBearer.make({ ...options, privateKey: Redacted.make(encrypted8), passphrase: Redacted.make("wr0ng-Passphrase") })))
      const sent = yield* assertions
      const sessions = yield* control.sessions
      assertNoSecrets(
        [keyMaterial, "k3y-Passphrase!", "wr0ng-Passphrase", ...sent.map((a) => a.raw), ...sessions.map((s) => s.token)],
        [...(yield* events), ...errors, token, provider]
      )
    }).pipe(Effect.provide(emulatorEnv())))
})

describe("JwtBearer configuration", () => {
  const build = (opts: JwtBearer.Options) =>
    Effect.gen(function*() {
      const { client, requests } = yield* stubClient([{ status: 200, body: "" }])
      const error = yield* Effect.flip(
        JwtBearer.make(opts).pipe(Effect.provide(Layer.merge(stubEnv(client), NodeFileSystem.layer)))
      )
      assert.deepStrictEqual(yield* requests, [])
      assertNoSecrets([keyMaterial, "k3y-Passphrase!", "wr0ng"], [error])
      return error
    })

  it.scoped("an encrypted key with a wrong or missing passphrase fails the layer", () =>
    Effect.gen(function*() {
      const wrong = yield* build({ ...options, privateKey: Redacted.make(encrypted8), passphrase: Redacted.make("wr0ng") })
      assert.strictEqual(wrong.message, "Invalid privateKey: the passphrase does not decrypt the private key (wrong passphrase)")
      const wrong1 = yield* build({ ...options, privateKey: Redacted.make(encrypted1), passphrase: Redacted.make("wr0ng") })
      assert.match(wrong1.message, /^Invalid privateKey: the passphrase does not decrypt the private key/)
      const missing = yield* build({ ...options, privateKey: Redacted.make(encrypted8) })
      assert.strictEqual(missing.message, "Invalid privateKey: the private key is encrypted; supply its passphrase")
    }))

  it.scoped("a missing key file fails the layer, naming the path", () =>
    Effect.gen(function*() {
      const error = yield* build({ clientId: app.clientId, username: user.username, privateKeyFile: "/nonexistent/server.key" })
      assert.strictEqual(error.message, "Invalid privateKeyFile: cannot read \"/nonexistent/server.key\": no such file")
    }))

  it.scoped("not a key, a public key, a certificate, an EC key, a truncated key", () =>
    Effect.gen(function*() {
      const bad = (pem: string) => build({ ...options, privateKey: Redacted.make(pem) })
      assert.match((yield* bad("hello")).message, /^Invalid privateKey: not a PEM private key/)
      const spki = crypto.createPublicKey(keyObject).export({ type: "spki", format: "pem" }).toString()
      assert.match((yield* bad(spki)).message, /^Invalid privateKey: this is a public key/)
      assert.match((yield* bad("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")).message, /this is a certificate/)
      const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" })
      assert.strictEqual((yield* bad(ec.toString())).message, "Invalid privateKey: RS256 needs an RSA key, this is an ec key")
      assert.match((yield* bad(pkcs8.slice(0, 300) + "\n-----END PRIVATE KEY-----")).message, /could not be parsed \(damaged or truncated PEM\)/)
    }))

  it.scoped("neither or both of privateKey and privateKeyFile", () =>
    Effect.gen(function*() {
      const neither = yield* build({ clientId: app.clientId, username: user.username, privateKeyFile: "" })
      assert.match(neither.message, /one of privateKey \(PEM text\) or privateKeyFile \(a path\) is required/)
      const both = yield* build({ ...options, privateKeyFile: "/x" } as unknown as JwtBearer.Options)
      assert.match(both.message, /give either privateKey or privateKeyFile, not both/)
    }))

  it("defaultAudience: test for sandbox and scratch hosts, login otherwise", () => {
    const aud = (host: string) => JwtBearer.defaultAudience(new URL(host))
    assert.strictEqual(aud("https://acme--dev.sandbox.my.salesforce.com"), "https://test.salesforce.com")
    assert.strictEqual(aud("https://test.salesforce.com"), "https://test.salesforce.com")
    assert.strictEqual(aud("https://fun-dog-123.scratch.my.salesforce.com"), "https://test.salesforce.com")
    assert.strictEqual(aud("https://acme.my.salesforce.com"), "https://login.salesforce.com")
    assert.strictEqual(aud("https://login.salesforce.com"), "https://login.salesforce.com")
    assert.strictEqual(aud("https://acme.develop.my.salesforce.com"), "https://login.salesforce.com")
  })

  it.scoped("layerConfig reads the key from SALESFORCE_PRIVATE_KEY (literal \\n accepted)", () =>
    Effect.gen(function*() {
      yield* syncClock
      const provider = yield* TokenProvider.TokenProvider
      yield* provider.get
      assert.strictEqual(yield* jwtGrants, 1)
    }).pipe(
      Effect.provide(
        JwtBearer.layerConfig().pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(
            new Map([
              ["SALESFORCE_CLIENT_ID", app.clientId],
              ["SALESFORCE_USERNAME", user.username],
              ["SALESFORCE_PRIVATE_KEY", encrypted8.trim().replace(/\n/g, "\\n")],
              ["SALESFORCE_PRIVATE_KEY_PASSPHRASE", "k3y-Passphrase!"]
            ])
          ))),
          // the type lists FileSystem: the environment could name a key file
          Layer.provide(NodeFileSystem.layer)
        )
      ),
      Effect.provide(emulatorEnv())
    ))
})
