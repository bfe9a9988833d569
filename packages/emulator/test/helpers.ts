import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Emulator } from "../src/index.js"
import { type XmlElement, parseXml } from "../src/internal/xml.js"

export const defaultUser = Emulator.defaultOptions.users[0]!
export const defaultApp = Emulator.defaultOptions.connectedApps[0]!
export const defaultPassword = defaultUser.password + defaultUser.securityToken

/** A response read in full. */
export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly json: any
}

/** Sends a request over real HTTP (undici) and reads the whole body. */
export const send = (
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<Reply, HttpClientError.HttpClientError> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(request)
    const text = yield* response.text
    let json: unknown = undefined
    try {
      json = JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, text, json }
  }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))

export const get = (url: string, token?: string, headers: Record<string, string> = {}) =>
  send(
    HttpClientRequest.get(url).pipe(
      HttpClientRequest.setHeaders(headers),
      token === undefined ? (r) => r : HttpClientRequest.bearerToken(token)
    )
  )

export const sendJson = (method: "POST" | "PATCH" | "DELETE", url: string, token: string, body?: unknown, headers: Record<string, string> = {}) =>
  send(
    HttpClientRequest.make(method)(url).pipe(
      HttpClientRequest.bearerToken(token),
      HttpClientRequest.setHeaders(headers),
      body === undefined ? (r) => r : HttpClientRequest.bodyText(typeof body === "string" ? body : JSON.stringify(body), "application/json")
    )
  )

export const postForm = (url: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
  send(HttpClientRequest.post(url).pipe(HttpClientRequest.setHeaders(headers), HttpClientRequest.bodyUrlParams(params)))

/** A SOAP login envelope; `password` is inserted as-is (escape it yourself). */
export const loginEnvelope = (username: string, password: string) =>
  `<?xml version="1.0" encoding="utf-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com">
  <soapenv:Header><urn:CallOptions><urn:client>emulator-test/1.0</urn:client></urn:CallOptions></soapenv:Header>
  <soapenv:Body><urn:login><urn:username>${username}</urn:username><urn:password>${password}</urn:password></urn:login></soapenv:Body>
</soapenv:Envelope>`

export const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

export const postSoap = (baseUrl: string, body: string, version = "64.0", api: "u" | "c" = "u") =>
  send(
    HttpClientRequest.post(`${baseUrl}/services/Soap/${api}/${version}`).pipe(
      HttpClientRequest.setHeader("SOAPAction", "login"),
      HttpClientRequest.bodyText(body, "text/xml; charset=UTF-8")
    )
  )

export const soapLogin = (baseUrl: string, username: string, password: string, version = "64.0") =>
  postSoap(baseUrl, loginEnvelope(escapeXml(username), escapeXml(password)), version)

/** Text of the first descendant element with this local name. */
export const xmlField = (xml: string, local: string): string | undefined => {
  const find = (e: XmlElement): XmlElement | undefined =>
    e.local === local ? e : e.children.map(find).find((x) => x !== undefined)
  return find(parseXml(xml))?.text
}

/** The faultcode / exceptionCode / exceptionMessage of a SOAP fault. */
export const soapFault = (xml: string) => ({
  faultcode: xmlField(xml, "faultcode"),
  faultstring: xmlField(xml, "faultstring"),
  exceptionCode: xmlField(xml, "exceptionCode"),
  exceptionMessage: xmlField(xml, "exceptionMessage")
})

/** An access token for the default user via the client-credentials grant. */
export const accessToken = (baseUrl: string): Effect.Effect<string, HttpClientError.HttpClientError> =>
  Effect.map(
    postForm(`${baseUrl}/services/oauth2/token`, {
      grant_type: "client_credentials",
      client_id: defaultApp.clientId,
      client_secret: defaultApp.clientSecret!
    }),
    (reply) => reply.json.access_token as string
  )

/** An emulator plus a fresh access token. */
export const withToken = (
  options: Emulator.Options = {}
): Effect.Effect<{ readonly emulator: Emulator.Service; readonly token: string; readonly api: string }, HttpClientError.HttpClientError, Scope.Scope> =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.make(options)
    const token = yield* accessToken(emulator.baseUrl)
    return { emulator, token, api: `${emulator.baseUrl}/services/data/v64.0` }
  })
