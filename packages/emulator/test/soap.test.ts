import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Emulator } from "../src/index.js"
import {
  defaultPassword,
  defaultUser,
  get,
  loginEnvelope,
  postSoap,
  send,
  soapFault,
  soapLogin,
  xmlField
} from "./helpers.js"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"

const special = (password: string, extra: Partial<Emulator.UserOptions> = {}): Emulator.Options => ({
  users: [{ username: "special@example.com", password, securityToken: "", ...extra }]
})

describe("SOAP login", () => {
  it.scoped("returns the full loginResponse shape", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const reply = yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)
      assert.strictEqual(reply.status, 200)
      assert.match(reply.headers["content-type"]!, /^text\/xml/)
      const org15 = Emulator.defaultOptions.orgId.slice(0, 15)
      assert.strictEqual(xmlField(reply.text, "serverUrl"), `${baseUrl}/services/Soap/u/64.0/${org15}`)
      assert.strictEqual(xmlField(reply.text, "metadataServerUrl"), `${baseUrl}/services/Soap/m/64.0/${org15}`)
      assert.strictEqual(xmlField(reply.text, "passwordExpired"), "false")
      assert.strictEqual(xmlField(reply.text, "sandbox"), "false")
      assert.match(xmlField(reply.text, "sessionId")!, /^00D\w{12}![.\w]+$/)
      assert.match(xmlField(reply.text, "userId")!, /^005\w{15}$/)
      assert.strictEqual(xmlField(reply.text, "organizationId"), Emulator.defaultOptions.orgId)
      assert.strictEqual(xmlField(reply.text, "sessionSecondsValid"), "7200")
      assert.strictEqual(xmlField(reply.text, "userName"), defaultUser.username)
      assert.strictEqual(xmlField(reply.text, "userFullName"), "Jane Doe")
      assert.include(reply.text, "<roleId xsi:nil=\"true\"/>")
    }))

  it.scoped("the sessionId works as a REST bearer token; sessionSecondsValid follows the option", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make({ sessionLifetime: "15 minutes" })
      const reply = yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)
      assert.strictEqual(xmlField(reply.text, "sessionSecondsValid"), "900")
      const rest = yield* get(`${baseUrl}/services/data/v64.0/limits`, xmlField(reply.text, "sessionId"))
      assert.strictEqual(rest.status, 200)
    }))

  it.scoped("matches on local names: n1 prefix, default xmlns, unqualified children, CDATA", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const bodies = [
        `<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>${defaultUser.username}</n1:username><n1:password>${defaultPassword}</n1:password></n1:login></env:Body></env:Envelope>`,
        `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><login xmlns="urn:partner.soap.sforce.com"><username>${defaultUser.username}</username><password>${defaultPassword}</password></login></soapenv:Body></soapenv:Envelope>`,
        `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Body><urn:login><username>${defaultUser.username}</username><password><![CDATA[${defaultPassword}]]></password></urn:login></soapenv:Body></soapenv:Envelope>`
      ]
      for (const body of bodies) {
        const reply = yield* postSoap(baseUrl, body)
        assert.strictEqual(reply.status, 200, reply.text)
      }
    }))

  it.scoped("wrong password, unknown user, locked user: INVALID_LOGIN LoginFault, HTTP 500", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      yield* control.addUser({ username: "locked@example.com", password: "pw", locked: true })
      for (const [user, password] of [[defaultUser.username, "nope"], ["who@example.com", "x"], ["locked@example.com", "pw"]]) {
        const reply = yield* soapLogin(baseUrl, user!, password!)
        assert.strictEqual(reply.status, 500)
        assert.match(reply.headers["content-type"]!, /^text\/xml/)
        const fault = soapFault(reply.text)
        assert.strictEqual(fault.faultcode, "sf:INVALID_LOGIN")
        assert.strictEqual(fault.faultstring, "INVALID_LOGIN: Invalid username, password, security token; or user locked out.")
        assert.strictEqual(fault.exceptionCode, "INVALID_LOGIN")
        assert.include(reply.text, "<sf:LoginFault xsi:type=\"sf:LoginFault\">")
        assert.include(reply.text, "xmlns:sf=\"urn:fault.partner.soap.sforce.com\"")
      }
      const counters = yield* control.counters
      assert.strictEqual(counters.failedLoginsPerUser[defaultUser.username], 1)
      assert.deepStrictEqual(counters.loginsPerUser, {})
    }))

  it.scoped("username must precede password", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const body = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><login xmlns="urn:partner.soap.sforce.com"><password>${defaultPassword}</password><username>${defaultUser.username}</username></login></soapenv:Body></soapenv:Envelope>`
      const reply = yield* postSoap(baseUrl, body)
      assert.strictEqual(soapFault(reply.text).exceptionCode, "INVALID_LOGIN")
    }))

  it.scoped("security token: required from untrusted IPs, optional for trusted ones", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      const noToken = yield* soapLogin(baseUrl, defaultUser.username, defaultUser.password)
      assert.strictEqual(soapFault(noToken.text).exceptionCode, "LOGIN_MUST_USE_SECURITY_TOKEN")
      yield* control.addUser({ username: "office@example.com", password: "pw", securityToken: "TOK", trustedIp: true })
      assert.strictEqual((yield* soapLogin(baseUrl, "office@example.com", "pw")).status, 200)
      assert.strictEqual((yield* soapLogin(baseUrl, "office@example.com", "pwTOK")).status, 200)
    }))

  it.scoped("an escaped password with & < > \" ' logs in", () =>
    Effect.gen(function*() {
      const password = "p&ss<w>rd\"'"
      const { baseUrl } = yield* Emulator.make(special(password))
      const reply = yield* soapLogin(baseUrl, "special@example.com", password)
      assert.strictEqual(reply.status, 200, reply.text)
    }))

  it.scoped("a raw & gives the UNKNOWN_EXCEPTION parse fault", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make(special("p&Class1"))
      const reply = yield* postSoap(baseUrl, loginEnvelope("special@example.com", "p&Class1"))
      assert.strictEqual(reply.status, 500)
      const fault = soapFault(reply.text)
      assert.strictEqual(fault.faultcode, "sf:UNKNOWN_EXCEPTION")
      assert.strictEqual(fault.exceptionMessage, "The reference to entity \"Class1\" must end with the ';' delimiter.")
      assert.include(reply.text, "sf:UnexpectedErrorFault")
    }))

  it.scoped("a raw < gives a parse fault", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make(special("a<b"))
      const reply = yield* postSoap(baseUrl, loginEnvelope("special@example.com", "a<b"))
      assert.strictEqual(reply.status, 500)
      assert.strictEqual(soapFault(reply.text).exceptionCode, "UNKNOWN_EXCEPTION")
    }))

  it.scoped("a literal &amp; in a password: escaped it logs in, unescaped it is decoded and fails", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make(special("a&amp;b"))
      assert.strictEqual((yield* postSoap(baseUrl, loginEnvelope("special@example.com", "a&amp;amp;b"))).status, 200)
      const decoded = yield* postSoap(baseUrl, loginEnvelope("special@example.com", "a&amp;b"))
      assert.strictEqual(soapFault(decoded.text).exceptionCode, "INVALID_LOGIN")
    }))

  it.scoped("a non-ASCII password logs in (UTF-8)", () =>
    Effect.gen(function*() {
      const password = "pässwörd-日本語-✓"
      const { baseUrl } = yield* Emulator.make(special(password))
      assert.strictEqual((yield* soapLogin(baseUrl, "special@example.com", password)).status, 200)
    }))

  it.scoped("API 65.0+ and a disabled org give the INVALID_OPERATION faults", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make()
      const v65 = soapFault((yield* soapLogin(baseUrl, defaultUser.username, defaultPassword, "65.0")).text)
      assert.strictEqual(v65.faultcode, "sf:INVALID_OPERATION")
      assert.include(v65.exceptionMessage!, "not available in the API version specified (65.0)")
      yield* control.setSoapLogin("disabled")
      const disabled = yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)
      assert.strictEqual(disabled.status, 500)
      assert.include(soapFault(disabled.text).faultstring!, "INVALID_OPERATION: SOAP API login() is disabled by default in this org.")
      yield* control.setSoapLogin("enabled")
      assert.strictEqual((yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)).status, 200)
    }))

  it.scoped("the soapLogin: disabled option", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make({ soapLogin: "disabled" })
      const reply = yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)
      assert.strictEqual(soapFault(reply.text).exceptionCode, "INVALID_OPERATION")
    }))

  it.scoped("retired versions give UNSUPPORTED_API_VERSION", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const reply = yield* soapLogin(baseUrl, defaultUser.username, defaultPassword, "20.0")
      assert.strictEqual(soapFault(reply.text).faultstring, "UNSUPPORTED_API_VERSION: Invalid Api version specified on URL")
    }))

  it.scoped("GET is refused with 405", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      assert.strictEqual((yield* get(`${baseUrl}/services/Soap/u/64.0`)).status, 405)
    }))

  it.scoped("the enterprise endpoint answers in the enterprise namespaces", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const ok = yield* postSoap(baseUrl, loginEnvelope(defaultUser.username, defaultPassword), "64.0", "c")
      assert.include(xmlField(ok.text, "serverUrl")!, "/services/Soap/c/64.0/")
      const bad = yield* postSoap(baseUrl, loginEnvelope(defaultUser.username, "x"), "64.0", "c")
      assert.include(bad.text, "urn:fault.enterprise.soap.sforce.com")
    }))

  it.scoped("expired password: passwordExpired=true and a restricted session", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make(special("old", { passwordExpired: true }))
      const reply = yield* soapLogin(baseUrl, "special@example.com", "old")
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(xmlField(reply.text, "passwordExpired"), "true")
      const sessionId = xmlField(reply.text, "sessionId")!
      const rest = yield* get(`${baseUrl}/services/data/v64.0/limits`, sessionId)
      assert.strictEqual(rest.status, 401)
      assert.strictEqual(rest.json[0].errorCode, "INVALID_SESSION_ID")
      assert.include(rest.json[0].message, "password has expired")
      const info = yield* postSoap(baseUrl, sessionCall(sessionId, "getUserInfo"))
      assert.strictEqual(soapFault(info.text).exceptionCode, "INVALID_OPERATION_WITH_EXPIRED_PASSWORD")
    }))

  it.scoped("logout kills the session; a dead session gets INVALID_SESSION_ID", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const sessionId = xmlField((yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)).text, "sessionId")!
      const info = yield* postSoap(baseUrl, sessionCall(sessionId, "getUserInfo"))
      assert.strictEqual(xmlField(info.text, "userName"), defaultUser.username)
      const out = yield* postSoap(baseUrl, sessionCall(sessionId, "logout"))
      assert.strictEqual(out.status, 200)
      assert.include(out.text, "<logoutResponse/>")
      assert.strictEqual((yield* get(`${baseUrl}/services/data/v64.0/`, sessionId)).status, 401)
      const again = yield* postSoap(baseUrl, sessionCall(sessionId, "logout"))
      assert.strictEqual(again.status, 500)
      const fault = soapFault(again.text)
      assert.strictEqual(fault.faultcode, "sf:INVALID_SESSION_ID")
      assert.include(fault.faultstring!, "Invalid Session ID found in SessionHeader")
    }))

  it.scoped("an unknown operation is a soapenv:Client fault", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const reply = yield* postSoap(baseUrl, sessionCall("x", "query"))
      assert.strictEqual(reply.status, 500)
      assert.strictEqual(soapFault(reply.text).faultcode, "soapenv:Client")
    }))

  it.scoped("shareSoapSessions: repeated logins share one session", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make({ shareSoapSessions: true })
      const a = xmlField((yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)).text, "sessionId")
      const b = xmlField((yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)).text, "sessionId")
      assert.strictEqual(a, b)
    }))

  it.scoped("counts logins and enforces the hourly login rate", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.make({ loginRateLimit: 2 })
      for (let i = 0; i < 2; i++) assert.strictEqual((yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)).status, 200)
      const limited = soapFault((yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)).text)
      assert.strictEqual(limited.exceptionMessage, "Login rate exceeded")
      const counters = yield* control.counters
      assert.strictEqual(counters.loginsPerUser[defaultUser.username], 2)
      assert.strictEqual(counters.grantsPerType["soap"], 2)
      yield* control.advanceClock("61 minutes")
      assert.strictEqual((yield* soapLogin(baseUrl, defaultUser.username, defaultPassword)).status, 200)
    }))

  it.scoped("an empty body or a DOCTYPE is refused", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.make()
      const emptyBody = yield* send(HttpClientRequest.post(`${baseUrl}/services/Soap/u/64.0`).pipe(HttpClientRequest.bodyText("", "text/xml")))
      assert.strictEqual(soapFault(emptyBody.text).exceptionMessage, "Premature end of file.")
      const doctype = yield* postSoap(baseUrl, `<!DOCTYPE x [<!ENTITY e "v">]>` + loginEnvelope(defaultUser.username, defaultPassword))
      assert.strictEqual(soapFault(doctype.text).exceptionCode, "UNKNOWN_EXCEPTION")
    }))
})

const sessionCall = (sessionId: string, operation: string) =>
  `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Header><urn:SessionHeader><urn:sessionId>${sessionId}</urn:sessionId></urn:SessionHeader></soapenv:Header><soapenv:Body><urn:${operation}/></soapenv:Body></soapenv:Envelope>`
