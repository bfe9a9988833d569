/**
 * Run an example's `main` only when its file is executed directly (`npx tsx examples/<file>.ts`),
 * not when a test imports it.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, type Scope } from "effect"
import { pathToFileURL } from "node:url"

export const runIfMain = <E>(moduleUrl: string, main: Effect.Effect<void, E, Scope.Scope>): void => {
  if (moduleUrl === pathToFileURL(process.argv[1] ?? "").href) NodeRuntime.runMain(Effect.scoped(main))
}
