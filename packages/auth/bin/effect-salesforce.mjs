#!/usr/bin/env node
// `effect-salesforce login ...`: runs the compiled command (dist/) with plain Node. Inside the
// effect-salesforce repository, where the "@effect-salesforce/source" export condition is set
// (.npmrc), "#login" resolves to the TypeScript source instead, which tsx (a dev dependency
// there) loads: no build step in the repository.
const login = import.meta.resolve("#login")
if (login.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api")
  register()
}
const { main } = await import(login)
await main()
