/**
 * Pick the auth method from configuration: the first method whose variables are all set, in
 * this order (the same variables as each method's `layerConfig`):
 *
 * | method | variables |
 * |---|---|
 * | `ClientCredentials` | `SALESFORCE_CLIENT_ID`, `SALESFORCE_CLIENT_SECRET` (and no `SALESFORCE_REFRESH_TOKEN`) |
 * | `JwtBearer` | `SALESFORCE_CLIENT_ID`, `SALESFORCE_USERNAME`, `SALESFORCE_PRIVATE_KEY` or `SALESFORCE_PRIVATE_KEY_FILE` |
 * | `RefreshToken` | `SALESFORCE_CLIENT_ID`, `SALESFORCE_REFRESH_TOKEN` (`SALESFORCE_CLIENT_SECRET` optional) |
 * | `SoapLogin` | `SALESFORCE_USERNAME`, `SALESFORCE_PASSWORD` (`SALESFORCE_SECURITY_TOKEN` optional) |
 *
 * An empty variable counts as unset. When no method is complete, the layer fails with a
 * `ConfigError` that lists, for each method, what is missing.
 *
 * @since 0.2.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { InvalidConfigError } from "./AuthError.js"
import * as ClientCredentials from "./ClientCredentials.js"
import type * as method from "./internal/method.js"
import * as JwtBearer from "./JwtBearer.js"
import * as RefreshToken from "./RefreshToken.js"
import * as SoapLogin from "./SoapLogin.js"
import type * as TokenProvider from "./TokenProvider.js"

/**
 * The built-in methods `layerConfig` can pick.
 *
 * @since 0.2.0
 * @category models
 */
export type Name = "ClientCredentials" | "JwtBearer" | "RefreshToken" | "SoapLogin"

const variables = [
  "SALESFORCE_CLIENT_ID",
  "SALESFORCE_CLIENT_SECRET",
  "SALESFORCE_USERNAME",
  "SALESFORCE_PASSWORD",
  "SALESFORCE_PRIVATE_KEY",
  "SALESFORCE_PRIVATE_KEY_FILE",
  "SALESFORCE_REFRESH_TOKEN"
] as const

type Variable = (typeof variables)[number]

/** What each method needs: every group must have one variable set. */
const requirements: ReadonlyArray<readonly [Name, ReadonlyArray<ReadonlyArray<Variable>>]> = [
  ["ClientCredentials", [["SALESFORCE_CLIENT_ID"], ["SALESFORCE_CLIENT_SECRET"]]],
  ["JwtBearer", [["SALESFORCE_CLIENT_ID"], ["SALESFORCE_USERNAME"], ["SALESFORCE_PRIVATE_KEY", "SALESFORCE_PRIVATE_KEY_FILE"]]],
  ["RefreshToken", [["SALESFORCE_CLIENT_ID"], ["SALESFORCE_REFRESH_TOKEN"]]],
  ["SoapLogin", [["SALESFORCE_USERNAME"], ["SALESFORCE_PASSWORD"]]]
]

/**
 * Which method the configuration is complete for, or a `ConfigError` listing what each lacks.
 *
 * @since 0.2.0
 * @category config
 */
export const config: Config.Config<Name> = Config.all(
  Object.fromEntries(
    variables.map((name) => [name, Config.option(Config.string(name))] as const)
  ) as Record<Variable, Config.Config<Option.Option<string>>>
).pipe(
  Config.mapOrFail((values) => {
    const set = (name: Variable) => Option.exists(values[name], (v) => v.trim() !== "")
    const missing = (groups: ReadonlyArray<ReadonlyArray<Variable>>) =>
      groups.filter((group) => !group.some(set)).map((group) => group.join(" or "))
    for (const [name, groups] of requirements) {
      // a refresh token next to a client secret means the refresh-token flow
      if (name === "ClientCredentials" && set("SALESFORCE_REFRESH_TOKEN")) continue
      if (missing(groups).length === 0) return Either.right(name)
    }
    const lacking = requirements.map(([name, groups]) => `${name} needs ${missing(groups).join(", ") || "no SALESFORCE_REFRESH_TOKEN"}`)
    return Either.left(ConfigError.MissingData([], `no auth method's variables are complete: ${lacking.join("; ")}`))
  })
)

/**
 * The `TokenProvider` of the method {@link config} picks, built with that method's
 * `layerConfig`. `FileSystem` is listed because `SALESFORCE_PRIVATE_KEY_FILE` may name a key file.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig: Layer.Layer<
  TokenProvider.TokenProvider,
  InvalidConfigError | ConfigError.ConfigError,
  method.Requirements | FileSystem.FileSystem
> = Layer.unwrapEffect(
  Effect.map(config, (name) => {
    switch (name) {
      case "ClientCredentials":
        return ClientCredentials.layerConfig()
      case "JwtBearer":
        return JwtBearer.layerConfig()
      case "RefreshToken":
        return RefreshToken.layerConfig()
      case "SoapLogin":
        return SoapLogin.layerConfig()
    }
  })
)
