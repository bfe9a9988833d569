/**
 * A `TokenProvider` for local development: the org a developer is already logged into with
 * the Salesforce CLI (`sf org login web`). No connected app, no secret in the project.
 *
 * Each acquisition runs `sf org display --json` (for the instance URL) and
 * `sf org auth show-access-token --json` (for the token: the CLI stopped printing it in
 * `org display` in May 2026), with `NO_COLOR=1`, through `@effect/platform`'s `Command`. A
 * token Salesforce rejects (a 401) makes the provider run them again, and the CLI refreshes
 * its session as it does for its own commands.
 *
 * The `CommandExecutor` comes from the user: `NodeContext.layer` from `@effect/platform-node`
 * (or `BunContext.layer`).
 *
 * Failures say which command to run: `sf` not installed (`SF_NOT_INSTALLED`), the org not
 * logged in (`SF_ORG_NOT_LOGGED_IN`), another CLI error (`SF_COMMAND_FAILED`), all as
 * `AuthenticationError`; output that is not the CLI's JSON as `MalformedResponseError`. What
 * the CLI prints is read up to 1 MiB.
 *
 * @example
 * ```ts
 * import { SalesforceCli, SalesforceEvents } from "@effect-salesforce/auth"
 * import { NodeContext } from "@effect/platform-node"
 * import { Layer } from "effect"
 *
 * const Auth = SalesforceCli.layer({ targetOrg: "my-dev-org" }).pipe(
 *   Layer.provide([SalesforceEvents.layer(), NodeContext.layer])
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { type AuthError, InvalidConfigError } from "./AuthError.js"
import * as internal from "./internal/salesforceCli.js"
import * as method from "./internal/method.js"
import type { SalesforceEvents } from "./SalesforceEvents.js"
import * as TokenProvider from "./TokenProvider.js"

/**
 * The provider name in events and errors.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = internal.name

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends Omit<method.CommonOptions, "requestTimeout"> {
  /** An alias or username (`--target-org`); default: the CLI's default org. */
  readonly targetOrg?: string | undefined
  /** The CLI executable. Default `"sf"`, found on `PATH`. */
  readonly executable?: string | undefined
  /** Bound on one CLI command. Default 60 seconds. */
  readonly commandTimeout?: Duration.DurationInput | undefined
}

/**
 * Build the provider. Unlike the network methods, a failure is not remembered by default
 * (`failureCooldown: 0`): running the CLI again costs no login, and a developer who just ran
 * `sf org login web` expects the next call to work.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  TokenProvider.TokenProvider.Service,
  InvalidConfigError,
  Scope.Scope | SalesforceEvents | CommandExecutor.CommandExecutor
> =>
  Effect.gen(function*() {
    const targetOrg = options.targetOrg === undefined ? undefined : yield* checkArgument("targetOrg", options.targetOrg)
    const executable = yield* checkArgument("executable", options.executable ?? "sf")
    const run = internal.runner({
      executable,
      targetOrg,
      timeout: Duration.decode(options.commandTimeout ?? Duration.seconds(60)),
      executor: yield* Effect.context<CommandExecutor.CommandExecutor>()
    })
    const acquire: Effect.Effect<TokenProvider.TokenProvider.Grant, AuthError> = Effect.gen(function*() {
      const org = yield* run(["org", "display"], internal.OrgDisplay)
      const token = yield* run(["org", "auth", "show-access-token"], internal.AccessTokenResult)
      return { accessToken: token.accessToken, instanceUrl: org.instanceUrl }
    })
    return yield* method.provider(name, acquire, { ...options, failureCooldown: options.failureCooldown ?? 0 })
  })

const checkArgument = (field: string, value: string): Effect.Effect<string, InvalidConfigError> =>
  Effect.flatMap(method.requireText(field, value), (text) =>
    text.startsWith("-")
      ? Effect.fail(new InvalidConfigError({ field, detail: "must not start with '-'" }))
      : Effect.succeed(text))

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<TokenProvider.TokenProvider, InvalidConfigError, SalesforceEvents | CommandExecutor.CommandExecutor> =>
  Layer.scoped(TokenProvider.TokenProvider, make(options))
