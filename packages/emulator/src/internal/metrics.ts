/**
 * Counters (logins, grants, requests per path, concurrency, API usage) and the request log.
 *
 * @internal
 */
import type { Counters, LoggedRequest } from "../Emulator.js"

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)

/** A request log entry whose status is filled in when answered. @internal */
export type MutableLoggedRequest = {
  -readonly [K in keyof LoggedRequest]: LoggedRequest[K]
}

/** @internal */
export class Metrics {
  private readonly logins = new Map<string, number>()
  private readonly failedLogins = new Map<string, number>()
  private readonly grants = new Map<string, number>()
  private readonly paths = new Map<string, number>()
  private total = 0
  inFlight = 0
  private peak = 0
  apiUsed = 0
  private log: Array<MutableLoggedRequest> = []

  constructor(
    private readonly logLimit: number,
    readonly apiLimit: () => number
  ) {}

  requestStarted(): void {
    this.inFlight++
    if (this.inFlight > this.peak) this.peak = this.inFlight
  }

  requestEnded(): void {
    this.inFlight--
  }

  record(entry: MutableLoggedRequest, pathname: string): void {
    this.total++
    bump(this.paths, pathname)
    this.log.push(entry)
    if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit)
  }

  login(username: string): void {
    bump(this.logins, username)
  }

  failedLogin(username: string): void {
    bump(this.failedLogins, username)
  }

  grant(type: string): void {
    bump(this.grants, type)
  }

  counters(): Counters {
    return {
      loginsPerUser: Object.fromEntries(this.logins),
      failedLoginsPerUser: Object.fromEntries(this.failedLogins),
      grantsPerType: Object.fromEntries(this.grants),
      requestsPerPath: Object.fromEntries(this.paths),
      totalRequests: this.total,
      inFlight: this.inFlight,
      peakInFlight: this.peak,
      apiUsage: { used: this.apiUsed, limit: this.apiLimit() }
    }
  }

  requestLog(): ReadonlyArray<LoggedRequest> {
    return this.log.map((entry) => ({ ...entry, headers: { ...entry.headers } }))
  }

  reset(): void {
    this.logins.clear()
    this.failedLogins.clear()
    this.grants.clear()
    this.paths.clear()
    this.total = 0
    this.peak = this.inFlight
    this.apiUsed = 0
    this.log = []
  }
}
