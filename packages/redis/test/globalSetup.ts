/**
 * Starts one real `redis-server` (Debian's package) for the redis project's tests: a free
 * loopback port, a temporary directory, no persistence; stopped when the run ends. A missing
 * `redis-server` fails the run with what to install: these tests never skip silently.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    readonly redisUrl: string
    readonly redisServerPath: string
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

/** The path of `redis-server`, if it is on PATH. */
export const whichRedis = (): string | undefined => {
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" })
  const path = found.stdout.trim()
  return found.status === 0 && path !== "" ? path : undefined
}

/** Starts a redis-server on a free loopback port; resolves once it accepts connections. */
export const startRedis = async (binary: string): Promise<{ url: string; port: number; process: ChildProcess; dir: string }> => {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "esf-redis-"))
    const child = spawn(binary, [
      "--port", String(port), "--bind", "127.0.0.1", "--dir", dir,
      "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"
    ], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()))
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()))
    const ready = await new Promise<boolean>((resolve) => {
      const deadline = Date.now() + 10_000
      const probe = () => {
        const socket = Net.connect(port, "127.0.0.1")
        socket.once("connect", () => {
          socket.write("PING\r\n")
          socket.once("data", (d) => {
            socket.destroy()
            resolve(d.toString().startsWith("+PONG"))
          })
        })
        socket.once("error", () => {
          socket.destroy()
          if (child.exitCode !== null || Date.now() > deadline) resolve(false)
          else setTimeout(probe, 50)
        })
      }
      probe()
    })
    if (ready) return { url: `redis://127.0.0.1:${port}`, port, process: child, dir }
    child.kill("SIGKILL")
    Fs.rmSync(dir, { recursive: true, force: true })
    if (attempt >= 3) throw new Error(`redis-server did not start on 127.0.0.1:${port}:\n${output}`)
  }
}

/**
 * `redis-server`, installed from Debian's packages when it is missing and this process may
 * (root, with apt-get): `npm install && npm test` sets up what the tests need on a fresh machine.
 * Two projects' setups can run at once; a lock directory makes the second wait for the first.
 */
export const ensureRedisServer = async (): Promise<string | undefined> => {
  const found = whichRedis()
  if (found !== undefined || process.getuid?.() !== 0 || whichApt() === undefined) return found
  const lock = Path.join(Os.tmpdir(), "effect-salesforce-redis-install.lock")
  const deadline = Date.now() + 10 * 60_000
  for (;;) {
    try {
      Fs.mkdirSync(lock)
      break
    } catch {
      if (Date.now() > deadline) return whichRedis()
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
  try {
    if (whichRedis() === undefined) {
      process.stderr.write("redis-server is missing: installing Debian's redis-server package (apt-get)\n")
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
      spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore", env })
      spawnSync("apt-get", ["install", "-y", "-qq", "redis-server"], { stdio: "ignore", env })
    }
  } finally {
    Fs.rmSync(lock, { recursive: true, force: true })
  }
  return whichRedis()
}

const whichApt = (): string | undefined => {
  const found = spawnSync("sh", ["-c", "command -v apt-get"], { encoding: "utf8" })
  return found.status === 0 && found.stdout.trim() !== "" ? found.stdout.trim() : undefined
}

export default async function setup(project: TestProject) {
  const binary = await ensureRedisServer()
  if (binary === undefined) {
    throw new Error(
      "The @effect-salesforce/redis tests and examples/fleet.ts need a real Redis: `redis-server` is not on PATH " +
        "(and could not be installed with apt-get). " +
        "Install it with `apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis`; .ci/run installs it."
    )
  }
  const server = await startRedis(binary)
  project.provide("redisUrl", server.url)
  project.provide("redisServerPath", binary)
  return async () => {
    server.process.kill("SIGTERM")
    await new Promise((resolve) => {
      if (server.process.exitCode !== null) resolve(undefined)
      server.process.once("exit", resolve)
      setTimeout(resolve, 3000).unref()
    })
    Fs.rmSync(server.dir, { recursive: true, force: true })
  }
}
