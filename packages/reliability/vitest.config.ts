import { defineProject } from "vitest/config"
import { sourceConditions } from "../../vitest.shared.js"

export default defineProject({
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    name: "reliability",
    include: ["test/**/*.test.ts"],
    testTimeout: 120000,
    hookTimeout: 60000
  }
})
