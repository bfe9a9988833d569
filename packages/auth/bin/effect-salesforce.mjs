#!/usr/bin/env node
// `effect-salesforce login ...`: runs the TypeScript sources through tsx (no build step in this
// repository). Once the package builds to dist, import "../dist/internal/loginCommand.js" instead.
import { register } from "tsx/esm/api"

register()
const { main } = await import("../src/internal/loginCommand.ts")
await main()
