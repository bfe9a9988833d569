/**
 * The emulator in its own process (its CLI), so that the client under measurement has the
 * event loop to itself, plus the few control calls the benchmarks need over HTTP.
 */
import { spawn } from "node:child_process"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

export interface EmulatorProcess {
  readonly baseUrl: string
  readonly control: <A>(method: "GET" | "POST", path: string, body?: unknown) => Promise<A>
  readonly stop: () => Promise<void>
}

const require = createRequire(import.meta.url)

export const startEmulatorProcess = (config?: string): Promise<EmulatorProcess> =>
  new Promise((resolve, reject) => {
    const bin = join(dirname(require.resolve("@effect-salesforce/emulator/package.json")), "bin", "salesforce-emulator.mjs")
    const args = [bin, "--port", "0", ...(config === undefined ? [] : ["--config", config])]
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match === null) return
      const baseUrl = match[1]!
      child.stdout.removeAllListeners("data")
      child.stdout.resume()
      resolve({
        baseUrl,
        control: async (method, path, body) => {
          const response = await fetch(`${baseUrl}/__emulator${path}`, {
            method,
            headers: { "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) })
          })
          const text = await response.text()
          return (text === "" ? undefined : JSON.parse(text)) as never
        },
        stop: () =>
          new Promise<void>((done) => {
            child.once("exit", () => done())
            child.kill("SIGTERM")
          })
      })
    })
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`emulator exited early with code ${code}: ${output}`)))
  })
