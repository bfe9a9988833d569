/**
 * The Redis store across real OS processes: each worker (test/fleet/worker.ts) is its own Node
 * process with its own provider and Redis connections, talking to the emulator over HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Emulator } from "@effect-salesforce/emulator"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Redis } from "ioredis"
import { inject } from "vitest"

const worker = fileURLToPath(new URL("./fleet/worker.ts", import.meta.url))

interface Worker {
  readonly child: ChildProcess
  /** Resolves with the worker's last JSON line and its exit code. */
  readonly done: Promise<{ readonly code: number | null; readonly result: { fingerprints?: Array<string> } }>
  readonly ready: Promise<void>
  /** Let it run its gets. */
  readonly go: () => void
}

const start = (baseUrl: string, prefix: string, concurrency: number, leaseMillis = 15_000): Worker => {
  const child = spawn(
    process.execPath,
    ["--conditions=@effect-salesforce/source", "--import", "tsx", worker, baseUrl, inject("redisUrl"), prefix, String(concurrency), String(leaseMillis)],
    { stdio: ["pipe", "pipe", "pipe"] }
  )
  let out = ""
  let err = ""
  let markReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString()
    if (out.includes(`"ready":true`)) markReady()
  })
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()))
  const done = new Promise<{ code: number | null; result: { fingerprints?: Array<string> } }>((resolve) =>
    child.on("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? "{}"
      let result: { fingerprints?: Array<string> } = {}
      try {
        result = JSON.parse(last)
      } catch {
        result = {}
      }
      if (code !== 0 && code !== null) process.stderr.write(err)
      resolve({ code, result })
    })
  )
  return { child, done, ready, go: () => child.stdin!.write("go\n") }
}

const grants = Effect.flatMap(Emulator.Emulator, (e) =>
  Effect.map(e.control.counters, (c) => c.grantsPerType["client_credentials"] ?? 0))

describe("RedisTokenStore across OS processes (real redis-server, emulator over HTTP)", () => {
  it.scopedLive("8 worker processes × 500 concurrent get on an empty store: exactly 1 grant", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* Emulator.Emulator
      const prefix = `fleet-${process.pid}-a:`
      const workers = Array.from({ length: 8 }, () => start(baseUrl, prefix, 500))
      yield* Effect.promise(() => Promise.all(workers.map((w) => w.ready)))
      for (const w of workers) w.go()
      const results = yield* Effect.promise(() => Promise.all(workers.map((w) => w.done)))
      assert.deepStrictEqual(results.map((r) => r.code), Array(8).fill(0))
      const fingerprints = new Set(results.flatMap((r) => r.result.fingerprints ?? []))
      assert.strictEqual(fingerprints.size, 1, "every process holds the same token")
      assert.strictEqual(yield* grants, 1)
    }).pipe(Effect.provide(Emulator.layer())), { timeout: 120_000 })

  it.scopedLive("the holder killed with SIGKILL mid-acquisition: another process has a token within the lease", () =>
    Effect.gen(function*() {
      const { baseUrl, control } = yield* Emulator.Emulator
      const prefix = `fleet-${process.pid}-b:`
      const redis = yield* Effect.acquireRelease(
        Effect.sync(() => new Redis(inject("redisUrl"))),
        (r) => Effect.promise(() => r.quit())
      )
      // the holder's token request hangs at the emulator
      yield* control.injectFault({ path: "/services/oauth2/token", count: 1, kind: { _tag: "Delay", duration: "60 seconds" } })
      const holder = start(baseUrl, prefix, 1, 1_500)
      yield* Effect.promise(() => holder.ready)
      holder.go()
      // wait until it holds the lock and its token request is at the emulator (so the delay is
      // spent on it), then kill it without a chance to release
      const tokenRequests = Effect.map(control.counters, (c) => c.requestsPerPath["/services/oauth2/token"] ?? 0)
      for (let i = 0; i < 1200; i++) {
        const locks = yield* Effect.promise(() => redis.keys(`${prefix}*:lock`))
        if (locks.length > 0 && (yield* tokenRequests) > 0) break
        yield* Effect.sleep("50 millis")
      }
      assert.lengthOf(yield* Effect.promise(() => redis.keys(`${prefix}*:lock`)), 1, "the holder took the lock")
      assert.strictEqual(yield* tokenRequests, 1, "the holder's token request is in flight")
      holder.child.kill("SIGKILL")
      yield* Effect.promise(() => holder.done)
      const next = start(baseUrl, prefix, 10, 1_500)
      yield* Effect.promise(() => next.ready)
      const started = Date.now()
      next.go()
      const result = yield* Effect.promise(() => next.done)
      assert.strictEqual(result.code, 0)
      assert.lengthOf(result.result.fingerprints ?? [], 1)
      // within the lease (1.5 s) plus a generous margin for a busy machine (not a speed figure)
      assert.isBelow(Date.now() - started, 20_000)
    }).pipe(Effect.provide(Emulator.layer())), { timeout: 120_000 })
})
