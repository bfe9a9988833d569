import { defineProject } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

export default defineProject({
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    name: "redis",
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/globalSetup.ts"],
    sequence: { concurrent: false },
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
