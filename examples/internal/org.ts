/**
 * Where an example logs in. With `SALESFORCE_BASE_URL` set, the real environment is used as is
 * (the auth layers' `layerConfig()` read `SALESFORCE_*` variables). Without it, an emulator is
 * started on loopback and the same variables are supplied, with the emulator's default
 * credentials, through `ConfigProvider.fromMap`: the example's code does not change.
 *
 * In emulator mode the emulator is also provided as `Emulator.Emulator`, so an example can read
 * it with `Effect.serviceOption(Emulator.Emulator)` (to expire sessions or inject a fault) and
 * skip that part against a real org.
 */
import { Emulator } from "@effect-salesforce/emulator"
import { ConfigProvider, Console, Effect, type Scope } from "effect"

export type Method = "SoapLogin" | "ClientCredentials" | "JwtBearer" | "RefreshToken"

const user = Emulator.defaultOptions.users[0]!
const app = Emulator.defaultOptions.connectedApps[0]!

/** The variables each method reads, with the emulator's default user and connected app. */
export const emulatorVariables = (method: Method, baseUrl: string): Record<string, string> => {
  switch (method) {
    case "SoapLogin":
      return {
        SALESFORCE_BASE_URL: baseUrl,
        SALESFORCE_USERNAME: user.username,
        SALESFORCE_PASSWORD: user.password,
        SALESFORCE_SECURITY_TOKEN: user.securityToken ?? ""
      }
    case "ClientCredentials":
      return {
        SALESFORCE_BASE_URL: baseUrl,
        SALESFORCE_CLIENT_ID: app.clientId,
        SALESFORCE_CLIENT_SECRET: app.clientSecret ?? ""
      }
    case "JwtBearer":
      return {
        SALESFORCE_BASE_URL: baseUrl,
        SALESFORCE_CLIENT_ID: app.clientId,
        SALESFORCE_USERNAME: user.username,
        SALESFORCE_PRIVATE_KEY: Emulator.defaultJwtPrivateKey
      }
    case "RefreshToken":
      return {
        SALESFORCE_BASE_URL: baseUrl,
        SALESFORCE_CLIENT_ID: app.clientId,
        SALESFORCE_CLIENT_SECRET: app.clientSecret ?? "",
        SALESFORCE_REFRESH_TOKEN: app.refreshTokens?.[0]?.token ?? ""
      }
  }
}

/** Is a real org configured (under an optional prefix, such as `ORG_A_`)? */
export const hasRealOrg = (prefix = ""): boolean => {
  const value = process.env[`${prefix}SALESFORCE_BASE_URL`]
  return value !== undefined && value !== ""
}

/**
 * Run `self` against the real org of the environment, or against a fresh emulator with
 * `method`'s variables supplied by a `ConfigProvider`. The emulator stops when the scope closes.
 */
export const withOrg = (method: Method, options: Emulator.Options = {}) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Scope.Scope> =>
  Effect.suspend((): Effect.Effect<A, E, R | Scope.Scope> =>
    hasRealOrg()
      ? Effect.zipRight(Console.log(`Using the org at ${process.env.SALESFORCE_BASE_URL} (${method})`), self)
      : Effect.gen(function*() {
        const emulator = yield* Emulator.make(options)
        const variables = emulatorVariables(method, emulator.baseUrl)
        yield* Console.log(
          `SALESFORCE_BASE_URL is not set: started an emulator at ${emulator.baseUrl}\n` +
            `and supplied ${Object.keys(variables).join(", ")} (the variables a real org needs).`
        )
        return yield* self.pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(variables)))),
          Effect.provideService(Emulator.Emulator, emulator)
        )
      })
  )
