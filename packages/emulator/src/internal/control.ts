/**
 * The control handle, in process (Effects) and over HTTP under `/__emulator/`.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { ConnectedAppOptions, Control, Fault, UserOptions } from "../Emulator.js"
import { type EmuRequest, type EmuResponse, json } from "./http.js"
import type { EmulatorState } from "./state.js"

/** The control path prefix. @internal */
export const CONTROL_PREFIX = "/__emulator"

/** Synchronous control operations shared by the Effect handle and the HTTP API. */
const ops = (state: EmulatorState) => ({
  advanceClock: (millis: number) => {
    state.clockOffset += millis
  },
  setSessionLifetime: (millis: number) => {
    state.sessions.settings.lifetimeMs = millis
  },
  issueRefreshToken: (clientId: string, username: string): string => {
    const app = state.directory.apps.get(clientId)
    const user = state.directory.user(username)
    if (app === undefined) throw new Error(`Emulator: unknown connected app ${clientId}`)
    if (user === undefined) throw new Error(`Emulator: unknown user ${username}`)
    return state.sessions.issueRefreshToken(app, user).token
  },
  insertRecord: (sobject: string, fields: Readonly<Record<string, unknown>>): string => {
    const type = state.store.type(sobject)
    if (type === undefined) throw new Error(`Emulator: unknown sObject ${sobject}`)
    const owner = state.directory.users.values().next().value
    return state.store.insert(type, fields, owner?.userId ?? "005000000000000AAA", state.now()).id
  },
  records: (sobject: string): ReadonlyArray<Readonly<Record<string, unknown>>> => {
    const type = state.store.type(sobject)
    if (type === undefined) throw new Error(`Emulator: unknown sObject ${sobject}`)
    return state.store.all(type).map((r) => ({ ...r.fields }))
  },
  setApiUsage: (used: number) => {
    state.metrics.apiUsed = used
  }
})

/** @internal */
export const makeControl = (state: EmulatorState): Control => {
  const o = ops(state)
  return {
    now: Effect.sync(() => state.now()),
    advanceClock: (duration) => Effect.sync(() => o.advanceClock(Duration.toMillis(Duration.decode(duration)))),
    setSessionLifetime: (duration) => Effect.sync(() => o.setSessionLifetime(Duration.toMillis(Duration.decode(duration)))),
    expireAllSessions: Effect.sync(() => state.sessions.expireAll()),
    revokeSession: (token) => Effect.sync(() => state.sessions.revoke(token)),
    sessions: Effect.sync(() => state.sessions.sessionInfos()),
    refreshTokens: Effect.sync(() => state.sessions.refreshTokenInfos()),
    issueRefreshToken: ({ clientId, username }) => Effect.sync(() => o.issueRefreshToken(clientId, username)),
    injectFault: (fault) => Effect.sync(() => state.faults.add(fault)),
    clearFaults: Effect.sync(() => state.faults.clear()),
    counters: Effect.sync(() => state.metrics.counters()),
    requestLog: Effect.sync(() => state.metrics.requestLog()),
    resetCounters: Effect.sync(() => state.metrics.reset()),
    addUser: (user) => Effect.sync(() => state.addUser(user).userId),
    addConnectedApp: (app) => Effect.sync(() => void state.addApp(app)),
    insertRecord: (sobject, fields) => Effect.sync(() => o.insertRecord(sobject, fields)),
    records: (sobject) => Effect.sync(() => o.records(sobject)),
    setApiUsage: (used) => Effect.sync(() => o.setApiUsage(used)),
    setSoapLogin: (mode) => Effect.sync(() => void (state.soapLogin = mode)),
    setAuthorization: (decision) => Effect.sync(() => void (state.authorization = decision)),
    reset: Effect.sync(() => state.reset())
  }
}

const millisOf = (body: Record<string, unknown>): number => {
  if (typeof body["millis"] === "number") return body["millis"]
  if (typeof body["seconds"] === "number") return body["seconds"] * 1000
  if (typeof body["duration"] === "string") return Duration.toMillis(Duration.decode(body["duration"] as Duration.DurationInput))
  throw new Error("give millis, seconds or duration (e.g. \"5 minutes\")")
}

/** A fault from JSON: `path` is a prefix, `pathRegex` a regular expression. */
const faultOf = (body: Record<string, unknown>): Fault => {
  const path = typeof body["pathRegex"] === "string" ? new RegExp(body["pathRegex"]) : body["path"]
  if (typeof path !== "string" && !(path instanceof RegExp)) throw new Error("give path (prefix) or pathRegex")
  return { ...(body as unknown as Fault), path }
}

/** Handles `/__emulator/...`. @internal */
export const handleControl = (state: EmulatorState, request: EmuRequest): EmuResponse => {
  const o = ops(state)
  const path = request.pathname.slice(CONTROL_PREFIX.length).replace(/\/$/, "")
  const key = `${request.method} ${path}`
  let body: Record<string, unknown> = {}
  try {
    if (request.body.trim() !== "") body = JSON.parse(request.body)
    const ok = (value: unknown = { ok: true }) => json(200, value)
    switch (key) {
      case "GET /counters":
        return ok(state.metrics.counters())
      case "POST /counters/reset":
        state.metrics.reset()
        return ok()
      case "GET /requests":
        return ok(state.metrics.requestLog())
      case "GET /sessions":
        return ok(state.sessions.sessionInfos())
      case "POST /sessions/expire-all":
        state.sessions.expireAll()
        return ok()
      case "POST /sessions/revoke":
        return ok({ revoked: state.sessions.revoke(String(body["token"])) })
      case "POST /session-lifetime":
        o.setSessionLifetime(millisOf(body))
        return ok()
      case "GET /refresh-tokens":
        return ok(state.sessions.refreshTokenInfos())
      case "POST /refresh-tokens":
        return ok({ token: o.issueRefreshToken(String(body["clientId"]), String(body["username"])) })
      case "GET /clock":
        return ok({ now: state.now(), offset: state.clockOffset })
      case "POST /clock/advance":
        o.advanceClock(millisOf(body))
        return ok({ now: state.now(), offset: state.clockOffset })
      case "POST /faults":
        state.faults.add(faultOf(body))
        return ok()
      case "DELETE /faults":
        state.faults.clear()
        return ok()
      case "POST /users":
        return ok({ userId: state.addUser(body as unknown as UserOptions).userId })
      case "POST /apps":
        state.addApp(body as unknown as ConnectedAppOptions)
        return ok()
      case "POST /api-usage":
        o.setApiUsage(Number(body["used"]))
        return ok()
      case "POST /soap-login":
        state.soapLogin = body["mode"] === "disabled" ? "disabled" : "enabled"
        return ok()
      case "POST /authorization":
        state.authorization = body["decision"] === "deny"
          ? { _tag: "Deny" }
          : typeof body["username"] === "string"
          ? { _tag: "Approve", username: body["username"] }
          : { _tag: "Approve" }
        return ok()
      case "POST /reset":
        state.reset()
        return ok()
      case "GET /info":
        return ok({
          baseUrl: state.baseUrl,
          orgId: state.options.orgId,
          users: state.options.users,
          connectedApps: state.options.connectedApps.map(({ certificate: _c, publicKey: _p, ...app }) => app)
        })
    }
    const records = /^\/records\/([A-Za-z0-9_]+)$/.exec(path)
    if (records !== null && request.method === "GET") return ok(o.records(records[1]!))
    if (records !== null && request.method === "POST") return ok({ id: o.insertRecord(records[1]!, body) })
    return json(404, { error: `no control operation ${key}` })
  } catch (error) {
    return json(400, { error: error instanceof Error ? error.message : String(error) })
  }
}
