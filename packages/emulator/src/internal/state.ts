/**
 * The emulator's whole mutable state: clock, directory, sessions, records,
 * query cursors, counters and faults, and its (re)initialisation from the options.
 *
 * @internal
 */
import type { AuthorizationDecision, ConnectedAppOptions, UserOptions } from "../Emulator.js"
import type { IssuedCode } from "./authorize.js"
import { type App, Directory, type User } from "./directory.js"
import { Faults } from "./faults.js"
import { makeIdGenerator } from "./ids.js"
import { Metrics } from "./metrics.js"
import type { Resolved } from "./options.js"
import { Sessions } from "./sessions.js"
import { Store } from "./store.js"

/** A query result being paged through. @internal */
export interface Cursor {
  readonly rows: ReadonlyArray<unknown>
  readonly path: "query" | "queryAll"
  readonly batchSize: number
  lastUsedAt: number
}

/** Query cursors die after 15 minutes without use, as on Salesforce. @internal */
export const CURSOR_IDLE_MS = 15 * 60_000

/** @internal */
export class EmulatorState {
  baseUrl = ""
  clockOffset = 0
  soapLogin: "enabled" | "disabled"
  readonly ids = makeIdGenerator()
  readonly metrics: Metrics
  readonly faults = new Faults()
  readonly cursors = new Map<string, Cursor>()
  /** Authorization codes issued by `/services/oauth2/authorize`. */
  readonly codes = new Map<string, IssuedCode>()
  /** What the emulated user does on the consent page. */
  authorization: AuthorizationDecision = { _tag: "Approve" }
  directory!: Directory
  sessions!: Sessions
  store!: Store

  constructor(readonly options: Resolved) {
    this.soapLogin = options.soapLogin
    this.metrics = new Metrics(options.requestLogLimit, () => options.apiUsageLimit)
    this.init()
  }

  /** The emulator clock, epoch ms. */
  readonly now = (): number => Date.now() + this.clockOffset

  private init(): void {
    this.ids.reset()
    this.clockOffset = 0
    this.soapLogin = this.options.soapLogin
    this.cursors.clear()
    this.codes.clear()
    this.authorization = { _tag: "Approve" }
    this.directory = new Directory(this.ids)
    this.sessions = new Sessions({
      lifetimeMs: this.options.sessionLifetimeMs,
      sliding: this.options.slidingSessions,
      orgId: this.options.orgId,
      now: this.now
    })
    this.store = new Store(this.options.sobjects, this.options.duplicateRules, this.ids)
    for (const user of this.options.users) this.addUser(user)
    for (const app of this.options.connectedApps) this.addApp(app)
    const owner = this.options.users[0] === undefined ? undefined : this.directory.user(this.options.users[0].username)
    for (const [name, records] of Object.entries(this.options.seed)) {
      const type = this.store.type(name)
      if (type === undefined) throw new Error(`Emulator: seed for unknown sObject ${name}`)
      for (const values of records) this.store.insert(type, values, owner?.userId ?? "005000000000000AAA", this.now())
    }
  }

  /** Back to the start state. */
  reset(): void {
    this.init()
    this.metrics.reset()
    this.faults.clear()
  }

  addUser(options: UserOptions): User {
    const user = this.directory.addUser(options)
    this.store.insert(this.store.type("User")!, {
      Id: user.userId,
      Username: user.username,
      FirstName: user.firstName,
      LastName: user.lastName,
      Email: user.email,
      Alias: user.username.slice(0, 8),
      IsActive: !user.locked,
      TimeZoneSidKey: user.timeZone,
      ProfileId: user.profileId
    }, user.userId, this.now())
    return user
  }

  addApp(options: ConnectedAppOptions): App {
    const app = this.directory.addApp(options)
    for (const entry of options.refreshTokens ?? []) {
      const user = this.directory.user(entry.username)
      if (user === undefined) throw new Error(`Emulator: refresh token for unknown user ${entry.username}`)
      this.sessions.issueRefreshToken(app, user, { token: entry.token })
    }
    return app
  }

  /** Identity URL `<base>/id/<org18>/<user18>`. */
  identityUrl(user: User): string {
    return `${this.baseUrl}/id/${this.options.orgId}/${user.userId}`
  }

  rotation(app: App): boolean {
    return app.rotation ?? this.options.refreshTokenRotation
  }

  jwtAudiences(): ReadonlyArray<string> {
    return this.options.jwtAudiences ?? ["https://login.salesforce.com", "https://test.salesforce.com", this.baseUrl]
  }

  /** Counts a login attempt; `true` when the user is over the hourly login rate. */
  overLoginRate(user: User): boolean {
    return this.directory.overLoginRate(user, this.now(), this.options.loginRateLimit)
  }
}
