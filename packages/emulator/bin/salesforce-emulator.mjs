#!/usr/bin/env node
// Runs the compiled CLI (dist/) with plain Node. Inside the effect-salesforce repository, where the
// "@effect-salesforce/source" export condition is set (.npmrc), "#cli" resolves to the TypeScript
// source instead, which tsx (a dev dependency there) loads: no build step in the repository.
const cli = import.meta.resolve("#cli")
if (cli.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api")
  register()
}
await import(cli)
