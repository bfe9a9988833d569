/**
 * `salesforce-emulator [--port N] [--config file.json]`: starts an emulator, prints
 * its URL and default credentials, and serves until SIGINT / SIGTERM.
 *
 * @internal
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type { ConnectedAppOptions, Options } from "../Emulator.js"
import * as Emulator from "../Emulator.js"

const usage = `Usage: salesforce-emulator [--port <port>] [--config <file.json>]

Starts a Salesforce emulator on 127.0.0.1 (default port 8787).
The config file holds Emulator options as JSON (durations as strings such as "2 hours");
a connected app may give "publicKeyFile" or "certificateFile" (paths relative to the file).`

type ConfigApp = ConnectedAppOptions & { readonly publicKeyFile?: string; readonly certificateFile?: string }

const fail = (message: string): never => {
  process.stderr.write(`salesforce-emulator: ${message}\n${usage}\n`)
  process.exit(2)
}

const parseArgs = (args: ReadonlyArray<string>): Options => {
  let port: number | undefined
  let config: Options = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const [flag, inline] = arg.includes("=") ? arg.split(/=(.*)/s) as [string, string] : [arg, undefined]
    const value = () => inline ?? args[++i] ?? fail(`${flag} needs a value`)
    if (flag === "--help" || flag === "-h") {
      process.stdout.write(usage + "\n")
      process.exit(0)
    } else if (flag === "--port" || flag === "-p") {
      port = Number(value())
      if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad port ${port}`)
    } else if (flag === "--config" || flag === "-c") {
      const file = Path.resolve(value())
      const dir = Path.dirname(file)
      let raw: Omit<Options, "connectedApps"> & { readonly connectedApps?: ReadonlyArray<ConfigApp> }
      try {
        raw = JSON.parse(Fs.readFileSync(file, "utf8"))
      } catch (error) {
        return fail(`cannot read config ${file}: ${error instanceof Error ? error.message : String(error)}`)
      }
      const apps = raw.connectedApps?.map(({ certificateFile, publicKeyFile, ...app }): ConnectedAppOptions => ({
        ...app,
        ...(certificateFile !== undefined ? { certificate: Fs.readFileSync(Path.resolve(dir, certificateFile), "utf8") } : {}),
        ...(publicKeyFile !== undefined ? { publicKey: Fs.readFileSync(Path.resolve(dir, publicKeyFile), "utf8") } : {})
      }))
      const { connectedApps: _apps, ...rest } = raw
      config = apps === undefined ? rest : { ...rest, connectedApps: apps }
    } else {
      fail(`unknown argument ${arg}`)
    }
  }
  return { ...config, port: port ?? config.port ?? 8787 }
}

const banner = (baseUrl: string, options: Options): string => {
  const users = options.users ?? Emulator.defaultOptions.users
  const apps = options.connectedApps ?? Emulator.defaultOptions.connectedApps
  const lines = [`Salesforce emulator listening on ${baseUrl}`]
  for (const user of users) {
    lines.push(`  user ${user.username}  password ${user.password}  security token ${user.securityToken ?? "(none)"}`)
  }
  for (const app of apps) {
    lines.push(`  connected app client_id ${app.clientId}  client_secret ${app.clientSecret ?? "(none)"}`)
    for (const rt of app.refreshTokens ?? []) if (rt.token !== undefined) lines.push(`    refresh token for ${rt.username}: ${rt.token}`)
    if ((app.callbackUrls ?? []).length > 0) lines.push(`    callback URLs (web-server flow): ${app.callbackUrls!.join(" ")}`)
  }
  lines.push(`  control API: ${baseUrl}/__emulator/info   (Ctrl-C to stop)`)
  return lines.join("\n") + "\n"
}

const options = parseArgs(process.argv.slice(2))

const fiber = Effect.runFork(
  Effect.scoped(
    Effect.gen(function*() {
      const emulator = yield* Emulator.make(options)
      yield* Effect.sync(() => process.stdout.write(banner(emulator.baseUrl, options)))
      return yield* Effect.never
    })
  )
)

fiber.addObserver((exit) => {
  if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
    process.stderr.write(`salesforce-emulator: ${Cause.pretty(exit.cause)}\n`)
    process.exit(1)
  }
  process.exit(0)
})

const stop = () => {
  Effect.runFork(Fiber.interrupt(fiber))
}
process.once("SIGINT", stop)
process.once("SIGTERM", stop)
