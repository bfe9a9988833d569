/**
 * SOAP API: `login()`, `logout()` and `getUserInfo()` on `/services/Soap/u|c/{version}`,
 * with Salesforce's faults (HTTP 500, `sf:`-prefixed `faultcode`, `LoginFault` detail).
 *
 * @internal
 */
import type { User } from "./directory.js"
import { checkPassword } from "./directory.js"
import { type EmuRequest, type EmuResponse, text, xml } from "./http.js"
import { to15 } from "./ids.js"
import { oldestApiVersion } from "./options.js"
import type { Session } from "./sessions.js"
import type { EmulatorState } from "./state.js"
import { child, element, escapeXml, parseXml, XmlParseError } from "./xml.js"

const ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/"

type Api = "u" | "c"

const bodyNs = (api: Api) => (api === "u" ? "urn:partner.soap.sforce.com" : "urn:enterprise.soap.sforce.com")
const faultNs = (api: Api) => (api === "u" ? "urn:fault.partner.soap.sforce.com" : "urn:fault.enterprise.soap.sforce.com")

const envelope = (body: string, extraNs = "") =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${ENVELOPE_NS}" ${extraNs}` +
  `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`

/** A fault with an `sf:` exception code and detail. @internal */
export const fault = (
  api: Api,
  code: string,
  message: string,
  detail: "LoginFault" | "UnexpectedErrorFault" = "UnexpectedErrorFault"
): EmuResponse =>
  xml(
    500,
    envelope(`<soapenv:Fault><faultcode>sf:${code}</faultcode><faultstring>${escapeXml(`${code}: ${message}`)}</faultstring>` +
        `<detail><sf:${detail} xsi:type="sf:${detail}"><sf:exceptionCode>${code}</sf:exceptionCode>` +
        `<sf:exceptionMessage>${escapeXml(message)}</sf:exceptionMessage></sf:${detail}></detail></soapenv:Fault>`,
      `xmlns:sf="${faultNs(api)}" `
    )
  )

/** A SOAP-level (not Salesforce) fault, such as an unknown operation. */
const clientFault = (message: string): EmuResponse =>
  xml(500, envelope(`<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>${escapeXml(message)}</faultstring></soapenv:Fault>`))

const INVALID_LOGIN = "Invalid username, password, security token; or user locked out."
const MUST_USE_TOKEN = "Invalid username, password, security token; or user locked out. Are you at a new location? " +
  "When accessing Salesforce--either via a desktop client or the API--from outside of your company’s trusted networks, " +
  "you must add a security token to your password to log in. To get your new security token, log in to Salesforce. " +
  "From your personal settings, enter Reset My Security Token in the Quick Find box, then select Reset My Security Token."
const ILLEGAL_SESSION = "Invalid Session ID found in SessionHeader: Illegal Session"
const EXPIRED_PASSWORD = "The users password has expired, you must call SetPassword before attempting any other API operations"

const userInfo = (state: EmulatorState, user: User): string => {
  const fields: ReadonlyArray<readonly [string, string | number | boolean | null]> = [
    ["accessibilityMode", false],
    ["chatterExternal", false],
    ["currencySymbol", "$"],
    ["orgAttachmentFileSizeLimit", 5242880],
    ["orgDefaultCurrencyIsoCode", "USD"],
    ["orgDefaultCurrencyLocale", "en_US"],
    ["orgDisallowHtmlAttachments", false],
    ["orgHasPersonAccounts", false],
    ["organizationId", state.options.orgId],
    ["organizationMultiCurrency", false],
    ["organizationName", state.options.orgName],
    ["profileId", user.profileId],
    ["roleId", null],
    ["sessionSecondsValid", Math.floor(state.sessions.settings.lifetimeMs / 1000)],
    ["userDefaultCurrencyIsoCode", null],
    ["userEmail", user.email],
    ["userFullName", [user.firstName, user.lastName].filter((p) => p !== "").join(" ")],
    ["userId", user.userId],
    ["userLanguage", "en_US"],
    ["userLocale", "en_US"],
    ["userName", user.username],
    ["userTimeZone", user.timeZone],
    ["userType", "Standard"],
    ["userUiSkin", "Theme3"]
  ]
  return fields.map(([name, value]) => element(name, value)).join("")
}

const loginResponse = (state: EmulatorState, api: Api, version: string, session: Session): string => {
  const org15 = to15(state.options.orgId)
  const { user } = session
  const result = element("metadataServerUrl", `${state.baseUrl}/services/Soap/m/${version}/${org15}`) +
    element("passwordExpired", user.passwordExpired) +
    element("sandbox", state.options.sandbox) +
    element("serverUrl", `${state.baseUrl}/services/Soap/${api}/${version}/${org15}`) +
    element("sessionId", session.token) +
    element("userId", user.userId) +
    `<userInfo>${userInfo(state, user)}</userInfo>`
  return envelope(`<loginResponse><result>${result}</result></loginResponse>`, `xmlns="${bodyNs(api)}" `)
}

const login = (state: EmulatorState, api: Api, version: string, operation: { children: ReadonlyArray<{ local: string; text: string }> }): EmuResponse => {
  const major = Number(version.split(".")[0])
  if (major > state.options.maxSoapLoginVersion) {
    return fault(
      api,
      "INVALID_OPERATION",
      `The SOAP Login operation is not available in the API version specified (${version}). Refer to the documentation for supported versions.`
    )
  }
  if (state.soapLogin === "disabled") {
    return fault(
      api,
      "INVALID_OPERATION",
      "SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login()."
    )
  }
  const names = operation.children.map((c) => c.local)
  const usernameAt = names.indexOf("username")
  const passwordAt = names.indexOf("password")
  const username = usernameAt < 0 ? "" : operation.children[usernameAt]!.text
  const loginFault = (code = "INVALID_LOGIN", message = INVALID_LOGIN) => {
    state.metrics.failedLogin(username)
    return fault(api, code, message, "LoginFault")
  }
  // the WSDL declares a sequence: username before password
  if (usernameAt < 0 || passwordAt < 0 || passwordAt < usernameAt) return loginFault()
  const user = state.directory.user(username)
  if (user === undefined) return loginFault()
  if (state.overLoginRate(user)) return loginFault("INVALID_LOGIN", "Login rate exceeded")
  if (user.locked) return loginFault()
  const check = checkPassword(user, operation.children[passwordAt]!.text)
  if (check === "bad") return loginFault()
  if (check === "needsToken") return loginFault("LOGIN_MUST_USE_SECURITY_TOKEN", MUST_USE_TOKEN)
  const shared = state.options.shareSoapSessions ? state.sessions.liveSoapSession(user) : undefined
  const session = shared ?? state.sessions.create({ user, grant: "soap", restricted: user.passwordExpired })
  state.metrics.login(user.username)
  state.metrics.grant("soap")
  return xml(200, loginResponse(state, api, version, session))
}

/** Handles a POST to the SOAP endpoint. @internal */
export const handleSoap = (state: EmulatorState, request: EmuRequest, api: Api, version: string): EmuResponse => {
  if (request.method !== "POST") return text(405, "Only POST allowed", { allow: "POST" })
  const major = /^(\d+)\.0$/.exec(version)
  if (major === null || Number(major[1]) < oldestApiVersion || Number(major[1]) > state.options.latestApiVersion) {
    return fault(api, "UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")
  }
  let root
  try {
    root = parseXml(request.body)
  } catch (error) {
    if (error instanceof XmlParseError) return fault(api, "UNKNOWN_EXCEPTION", error.message)
    throw error
  }
  if (root.local !== "Envelope" || root.uri !== ENVELOPE_NS) return clientFault("Missing SOAP envelope")
  const operation = child(root, "Body")?.children[0]
  if (operation === undefined) return clientFault("No operation found in the SOAP body")
  if (operation.local === "login") return login(state, api, version, operation)
  if (operation.local !== "logout" && operation.local !== "getUserInfo") {
    return clientFault(`No operation available for request {${operation.uri}}${operation.local}, please check the WSDL for the service.`)
  }
  const token = child(child(child(root, "Header"), "SessionHeader"), "sessionId")?.text.trim() ?? ""
  const session = state.sessions.use(token)
  if (session === undefined) return fault(api, "INVALID_SESSION_ID", ILLEGAL_SESSION)
  if (operation.local === "logout") {
    if (state.options.shareSoapSessions) state.sessions.revokeUserSoapSessions(session.user)
    state.sessions.revoke(session.token)
    return xml(200, envelope("<logoutResponse/>", `xmlns="${bodyNs(api)}" `))
  }
  if (session.restricted) return fault(api, "INVALID_OPERATION_WITH_EXPIRED_PASSWORD", EXPIRED_PASSWORD)
  return xml(
    200,
    envelope(`<getUserInfoResponse><result>${userInfo(state, session.user)}</result></getUserInfoResponse>`, `xmlns="${bodyNs(api)}" `)
  )
}
