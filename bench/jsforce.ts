/**
 * jsforce 3 for the side-by-side throughput figure. It is not a dependency of the project:
 * the bench installs jsforce@3.10.16 (the last release that runs on Node 20) into
 * `bench/.jsforce/` on first use, and skips the comparison when that is not possible.
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const dir = join(dirname(fileURLToPath(import.meta.url)), ".jsforce")

export interface JsforceConnection {
  readonly request: (path: string) => Promise<unknown>
}

export const loadJsforce = (): ((options: { instanceUrl: string; accessToken: string; version: string }) => JsforceConnection) | undefined => {
  try {
    if (!existsSync(join(dir, "node_modules", "jsforce"))) {
      console.log("  (installing jsforce@3.10.16 into bench/.jsforce for the comparison…)")
      execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", dir, "jsforce@3.10.16"], { stdio: "ignore" })
    }
    const require = createRequire(join(dir, "index.js"))
    const jsforce = require("jsforce") as { Connection: new (options: object) => JsforceConnection }
    return (options) => new jsforce.Connection(options)
  } catch (error) {
    console.log(`  (jsforce comparison skipped: ${error instanceof Error ? error.message.split("\n")[0] : String(error)})`)
    return undefined
  }
}
