/**
 * Running the Salesforce CLI for `SalesforceCli`: one command with `--json` and `NO_COLOR=1`,
 * its output read up to a bound, its JSON envelope (`{"status":0,"result":{...}}` or
 * `{"status":1,"name":"...","message":"..."}`) decoded, and failures mapped to auth errors
 * that name the command to run.
 * @internal
 */
import * as Command from "@effect/platform/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Chunk from "effect/Chunk"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type AuthError, AuthenticationError, MalformedResponseError, TransportError } from "../AuthError.js"
import { describeIssues, describeNonJson } from "./oauth.js"

/** @internal */
export const name = "SalesforceCli"

/** What the CLI may print, per stream, before the command is abandoned. @internal */
export const maxOutputBytes = 1024 * 1024

/** `sf org display --json`'s result: only what is used. @internal */
export const OrgDisplay = Schema.Struct({ instanceUrl: Schema.NonEmptyString })

/** `sf org auth show-access-token --json`'s result. @internal */
export const AccessTokenResult = Schema.Struct({ accessToken: Schema.Redacted(Schema.NonEmptyString) })

const Envelope = Schema.Struct({
  status: Schema.Number,
  result: Schema.optional(Schema.Unknown),
  name: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String)
})
const decodeEnvelope = Schema.decodeUnknownEither(Schema.parseJson(Envelope), { onExcessProperty: "ignore" })

/** The command, with `--json`, `--target-org` when given, and `NO_COLOR=1`. @internal */
export const command = (executable: string, args: ReadonlyArray<string>, targetOrg: string | undefined): Command.Command =>
  Command.make(executable, ...args, "--json", ...(targetOrg === undefined ? [] : ["--target-org", targetOrg])).pipe(
    Command.env({ NO_COLOR: "1", SF_DISABLE_TELEMETRY: "true", SF_AUTOUPDATE_DISABLE: "true" })
  )

const tooLarge = Symbol("tooLarge")

/** Collect a byte stream, failing once it passes `maxOutputBytes`. */
const readBounded = <E>(stream: Stream.Stream<Uint8Array, E>): Effect.Effect<string, E | typeof tooLarge> =>
  Stream.runFoldEffect(stream, { size: 0, chunks: Chunk.empty<Uint8Array>() }, (acc, bytes) => {
    const size = acc.size + bytes.length
    return size > maxOutputBytes
      ? Effect.fail(tooLarge)
      : Effect.succeed({ size, chunks: Chunk.append(acc.chunks, bytes) })
  }).pipe(Effect.map(({ chunks }) => Buffer.concat(Chunk.toArray(chunks)).toString("utf8")))

/** A CLI message, bounded, on one line, without anything shaped like an access token. */
const clean = (text: string): string =>
  text.slice(0, 300).replace(/\s+/g, " ").replace(/00D\w{12,15}![.\w]*/g, "<token>").replace(/eyJ[\w-]+\.[\w.-]+/g, "<token>")

const NOT_LOGGED_IN = /NoDefault|NotFound|NoOrg|NoAuth|AuthInfo|NoUsername|RefreshToken|Expired|invalid_grant/i
const NOT_LOGGED_IN_TEXT = /no (default|authori[sz]ation)|not found|not logged|expired|re-?authori[sz]e|log ?in again/i

/** @internal */
export const runner = (options: {
  readonly executable: string
  readonly targetOrg: string | undefined
  readonly timeout: Duration.Duration
  readonly executor: Context.Context<CommandExecutor.CommandExecutor>
}) =>
<A, I>(args: ReadonlyArray<string>, schema: Schema.Schema<A, I>): Effect.Effect<A, AuthError> => {
  const shown = `${options.executable} ${args.join(" ")} --json${options.targetOrg === undefined ? "" : ` --target-org ${options.targetOrg}`}`
  const login = `${options.executable} org login web${options.targetOrg === undefined ? " --set-default" : ` --alias ${options.targetOrg}`}`
  const malformed = (detail: string) => new MalformedResponseError({ method: name, request: shown, detail })
  const refused = (code: string, description: string) => new AuthenticationError({ method: name, code, description })
  const decodeResult = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })

  const run = Effect.scoped(Effect.gen(function*() {
    const process = yield* Command.start(command(options.executable, args, options.targetOrg))
    const [stdout, stderr, exitCode] = yield* Effect.all(
      [readBounded(process.stdout), readBounded(process.stderr), process.exitCode],
      { concurrency: "unbounded" }
    )
    return { stdout, stderr, exitCode: Number(exitCode) }
  })).pipe(
    Effect.provide(options.executor),
    Effect.timeoutFail({
      duration: options.timeout,
      onTimeout: () =>
        new TransportError({ method: name, reason: "Timeout", request: shown, detail: `no answer within ${Duration.format(options.timeout)}` })
    }),
    Effect.catchAll((error): Effect.Effect<never, AuthError> => {
      if (error === tooLarge) return Effect.fail(malformed(`more than ${maxOutputBytes} bytes of output`))
      if (error._tag === "TransportError") return Effect.fail(error)
      if (error._tag === "SystemError" && error.reason === "NotFound" && error.method === "spawn") {
        return Effect.fail(refused(
          "SF_NOT_INSTALLED",
          `the Salesforce CLI (${options.executable}) is not installed or not on PATH: install it (npm install --global @salesforce/cli), then run "${login}"`
        ))
      }
      return Effect.fail(refused("SF_COMMAND_FAILED", `"${shown}" could not run (${error._tag === "SystemError" ? error.reason : error._tag})`))
    })
  )

  return Effect.flatMap(run, ({ exitCode, stderr, stdout }): Effect.Effect<A, AuthError> => {
    // sf prints the --json envelope on stdout (older versions: errors on stderr)
    const text = stdout.trim() !== "" ? stdout : stderr
    const envelope = decodeEnvelope(text)
    if (Either.isLeft(envelope)) {
      const detail = text.trim().startsWith("{") ? describeIssues(envelope.left) : describeNonJson(text)
      return Effect.fail(malformed(`expected the CLI's JSON (exit code ${exitCode}): ${detail}`))
    }
    const { message, result, status } = envelope.right
    if (status !== 0 || exitCode !== 0) {
      const errorName = envelope.right.name ?? "Error"
      const said = clean(`${errorName}: ${message ?? ""}`)
      if (NOT_LOGGED_IN.test(errorName) || NOT_LOGGED_IN_TEXT.test(message ?? "")) {
        return Effect.fail(refused(
          "SF_ORG_NOT_LOGGED_IN",
          `${said}; log in with "${login}"${options.targetOrg === undefined ? " (or pass targetOrg)" : ""}`
        ))
      }
      return Effect.fail(refused("SF_COMMAND_FAILED", `"${shown}" failed: ${said}`))
    }
    const decoded = decodeResult(result)
    return Either.isLeft(decoded)
      ? Effect.fail(malformed(`unexpected result: ${describeIssues(decoded.left)}`))
      : Effect.succeed(decoded.right)
  })
}
