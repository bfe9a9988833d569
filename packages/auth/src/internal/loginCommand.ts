/**
 * `effect-salesforce login`: the web-server flow from a terminal. Prints the authorize URL
 * (and opens a browser when it can), waits for the redirect on 127.0.0.1, exchanges the code,
 * and writes `SALESFORCE_BASE_URL`, `SALESFORCE_CLIENT_ID` and `SALESFORCE_REFRESH_TOKEN` as
 * environment lines for `SalesforceConfig.layerConfig()` + `RefreshToken.layerConfig()`: to a
 * file created with mode 0600 (`--out`), or to stdout. Messages go to stderr; the refresh token
 * goes only to that file or stdout, never to a message or a log.
 *
 * Uses `FetchHttpClient` and node APIs only (no `@effect/platform-node` in a library).
 * @internal
 */
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AuthorizationCode from "../AuthorizationCode.js"
import * as SalesforceConfig from "../SalesforceConfig.js"
import * as SalesforceEvents from "../SalesforceEvents.js"

/** @internal */
export const usage = `Usage: effect-salesforce login --client-id <id> [--login-url <url>] [--scopes "api refresh_token"]
                              [--port 1717] [--out <file>] [--no-open] [--timeout-seconds 300]

Logs in through the browser (OAuth web-server flow with PKCE) and writes
SALESFORCE_BASE_URL, SALESFORCE_CLIENT_ID and SALESFORCE_REFRESH_TOKEN for
RefreshToken.layerConfig(): to <file> (created with mode 0600), or to stdout.

  --client-id        the connected app's consumer key (or SALESFORCE_CLIENT_ID)
  --login-url        https://login.salesforce.com (default), https://test.salesforce.com for
                     a sandbox, or the org's My Domain
  --scopes           default "api refresh_token"; the app needs the refresh_token scope
  --port             the redirect listener on 127.0.0.1 (default 1717): the app's callback URL
                     must be http://127.0.0.1:<port>/OauthRedirect
  --out              write the lines to this file (mode 0600) instead of stdout
  --no-open          print the URL only; do not try to open a browser

A confidential app's secret is read from SALESFORCE_CLIENT_SECRET (never from the command line).`

/** Where the command writes. @internal */
export interface Io {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
  /** Try to show the URL in a browser; never fails. */
  readonly openBrowser: (url: string) => void
}

/** @internal */
export interface Args {
  readonly clientId: string
  readonly loginUrl: string
  readonly scopes: ReadonlyArray<string>
  readonly port: number
  readonly out: string | undefined
  readonly open: boolean
  readonly timeoutSeconds: number
}

class UsageError {
  constructor(readonly message: string) {}
}

/** Parse `login ...` arguments. @internal */
export const parseArgs = (argv: ReadonlyArray<string>, env: Io["env"]): Args | UsageError | "help" => {
  const [command, ...rest] = argv
  if (command === "--help" || command === "-h" || command === "help") return "help"
  if (command !== "login") return new UsageError(command === undefined ? "missing command" : `unknown command ${command}`)
  const values: Record<string, string> = {}
  let open = true
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === "--help" || arg === "-h") return "help"
    if (arg === "--no-open") {
      open = false
      continue
    }
    const [flag, inline] = arg.includes("=") ? (arg.split(/=(.*)/s) as [string, string]) : [arg, undefined]
    if (!["--client-id", "--login-url", "--scopes", "--port", "--out", "--timeout-seconds"].includes(flag)) {
      return new UsageError(`unknown argument ${flag}`)
    }
    const value = inline ?? rest[++i]
    if (value === undefined) return new UsageError(`${flag} needs a value`)
    values[flag] = value
  }
  const clientId = values["--client-id"] ?? env["SALESFORCE_CLIENT_ID"]
  if (clientId === undefined || clientId.trim() === "") return new UsageError("--client-id is required")
  const port = Number(values["--port"] ?? AuthorizationCode.defaultPort)
  if (!Number.isInteger(port) || port < 0 || port > 65535) return new UsageError(`--port must be 0-65535`)
  const timeoutSeconds = Number(values["--timeout-seconds"] ?? 300)
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) return new UsageError(`--timeout-seconds must be positive`)
  return {
    clientId: clientId.trim(),
    loginUrl: values["--login-url"] ?? "https://login.salesforce.com",
    scopes: (values["--scopes"] ?? AuthorizationCode.defaultScopes.join(" ")).split(/\s+/).filter((s) => s !== ""),
    port,
    out: values["--out"],
    open,
    timeoutSeconds
  }
}

/** A value safe on a `NAME=value` line: printable ASCII, nothing a shell or dotenv would interpret. */
const SAFE = /^[A-Za-z0-9._~:/+=@!%*-]+$/

/** The environment lines; fails (without the value) on a value that would break the file. @internal */
export const envLines = (fields: {
  readonly instanceUrl: string
  readonly clientId: string
  readonly refreshToken: Redacted.Redacted<string>
}): string | UsageError => {
  const entries: ReadonlyArray<readonly [string, string]> = [
    ["SALESFORCE_BASE_URL", fields.instanceUrl],
    ["SALESFORCE_CLIENT_ID", fields.clientId],
    ["SALESFORCE_REFRESH_TOKEN", Redacted.value(fields.refreshToken)]
  ]
  for (const [name, value] of entries) {
    if (!SAFE.test(value)) return new UsageError(`${name} from Salesforce has characters that cannot go in an environment file`)
  }
  return [
    `# written by effect-salesforce login on ${new Date().toISOString()}: keep this file secret`,
    ...entries.map(([name, value]) => `${name}=${value}`)
  ].join("\n") + "\n"
}

/** Write `text` to `file` with mode 0600: a new file beside it, then renamed over (atomic). @internal */
export const writeSecretFile = (file: string, text: string): void => {
  const target = Path.resolve(file)
  const temp = Path.join(Path.dirname(target), `.${Path.basename(target)}.${process.pid}.${Crypto.randomBytes(4).toString("hex")}.tmp`)
  const fd = Fs.openSync(temp, "wx", 0o600)
  try {
    Fs.writeFileSync(fd, text)
    Fs.fsyncSync(fd)
  } finally {
    Fs.closeSync(fd)
  }
  try {
    Fs.chmodSync(temp, 0o600)
    Fs.renameSync(temp, target)
  } catch (error) {
    Fs.rmSync(temp, { force: true })
    throw error
  }
}

/** Open a URL with the platform's opener when there is one; any failure is ignored. @internal */
export const openBrowser = (url: string): void => {
  const [command, args] = process.platform === "darwin"
    ? ["open", [url]]
    : process.platform === "win32"
    ? ["cmd", ["/c", "start", "\"\"", url.replace(/&/g, "^&")]]
    : ["xdg-open", [url]]
  try {
    const child = ChildProcess.spawn(command, args, { stdio: "ignore", detached: true, windowsVerbatimArguments: true })
    child.on("error", () => undefined)
    child.unref()
  } catch {
    // no browser: the printed URL is enough
  }
}

/** Run the command; resolves with the exit code. @internal */
export const run = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  const args = parseArgs(argv, io.env)
  if (args === "help") {
    io.stdout(usage + "\n")
    return 0
  }
  if (args instanceof UsageError) {
    io.stderr(`effect-salesforce: ${args.message}\n${usage}\n`)
    return 2
  }
  const secret = io.env["SALESFORCE_CLIENT_SECRET"]
  const program = AuthorizationCode.login({
    clientId: args.clientId,
    clientSecret: secret === undefined || secret === "" ? undefined : Redacted.make(secret),
    scopes: args.scopes,
    port: args.port,
    timeout: `${args.timeoutSeconds} seconds`,
    onUrl: (url) =>
      Effect.sync(() => {
        io.stderr(`Open this URL in a browser and log in (waiting on 127.0.0.1:${args.port}):\n\n  ${url}\n\n`)
        if (args.open) io.openBrowser(url)
      })
  }).pipe(
    Effect.provide(Layer.mergeAll(
      SalesforceConfig.layer({ baseUrl: args.loginUrl }),
      SalesforceEvents.layer(),
      FetchHttpClient.layer
    ))
  )
  const exit = await Effect.runPromiseExit(program)
  if (Exit.isFailure(exit)) {
    const failure = Cause.failureOption(exit.cause)
    const message = Option.isSome(failure)
      ? failure.value.message
      : Cause.isInterruptedOnly(exit.cause)
      ? "interrupted"
      : "unexpected failure"
    io.stderr(`effect-salesforce: login failed: ${message}\n`)
    return 1
  }
  const result = exit.value
  const lines = envLines({ instanceUrl: result.instanceUrl, clientId: args.clientId, refreshToken: result.refreshToken })
  if (lines instanceof UsageError) {
    io.stderr(`effect-salesforce: ${lines.message}\n`)
    return 1
  }
  if (args.out === undefined) {
    io.stdout(lines)
  } else {
    try {
      writeSecretFile(args.out, lines)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      io.stderr(`effect-salesforce: cannot write ${args.out}${code === undefined ? "" : ` (${code})`}\n`)
      return 1
    }
  }
  io.stderr(
    `Logged in to ${result.instanceUrl}${
      args.out === undefined ? "" : `; wrote the refresh token to ${args.out} (mode 0600)`
    }. Use it with SalesforceConfig.layerConfig() and RefreshToken.layerConfig().\n`
  )
  return 0
}

/** The bin's entry: real stdout, stderr, environment and browser. @internal */
export const main = async (): Promise<void> => {
  process.exitCode = await run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    openBrowser
  })
}
