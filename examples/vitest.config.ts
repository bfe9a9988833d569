import { defineProject } from "vitest/config"
import { sourceConditions } from "../vitest.shared.js"

export default defineProject({
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    name: "examples",
    include: ["test/**/*.test.ts"],
    testTimeout: 60000
  }
})
