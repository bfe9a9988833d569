import { defineProject } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

export default defineProject({
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    name: "emulator",
    include: ["test/**/*.test.ts"],
    sequence: { concurrent: false },
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
