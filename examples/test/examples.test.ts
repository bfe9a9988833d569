/**
 * Every example's `main` runs to completion against its own emulator. The environment
 * variables that would point an example at a real org are removed first.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { inject } from "vitest"
import { main as authorizationCode } from "../authorization-code.js"
import { main as clientCredentials } from "../client-credentials.js"
import { main as consumerTest } from "../consumer-test.js"
import { main as customAuth } from "../custom-auth.js"
import { main as eventsMetrics } from "../events-metrics.js"
import { main as fleet } from "../fleet.js"
import { main as jwtBearer } from "../jwt-bearer.js"
import { main as refreshToken } from "../refresh-token.js"
import { main as soapLogin } from "../soap-login.js"
import { main as tracing } from "../tracing.js"
import { main as twoOrgs } from "../two-orgs.js"

for (const name of Object.keys(process.env)) {
  if (/^(ORG_[AB]_)?SALESFORCE_/.test(name) || name === "ORG_B_WRITE") delete process.env[name]
}
// fleet.ts shares its token through the redis-server the test setup started
process.env.REDIS_URL = inject("redisUrl")

const examples = {
  "soap-login": soapLogin,
  "client-credentials": clientCredentials,
  "jwt-bearer": jwtBearer,
  "refresh-token": refreshToken,
  "authorization-code": authorizationCode,
  "custom-auth": customAuth,
  "consumer-test": consumerTest,
  "two-orgs": twoOrgs,
  "events-metrics": eventsMetrics,
  "tracing": tracing,
  // four OS processes, each loading TypeScript through tsx: slower to start than the others
  "fleet": fleet
}

describe("examples run against the emulator", () => {
  for (const [name, main] of Object.entries(examples)) {
    it.live(name, () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.scoped(main))
        assert.isTrue(Exit.isSuccess(exit), `${name} failed: ${Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""}`)
      }), name === "fleet" ? 120_000 : 20_000)
  }
})
