import { defineProject } from "vitest/config"
import { sourceConditions } from "../vitest.shared.js"

export default defineProject({
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    name: "examples",
    include: ["test/**/*.test.ts"],
    // a real redis-server for fleet.ts (REDIS_URL), installed if missing: the redis package's setup
    globalSetup: ["../packages/redis/test/globalSetup.ts"],
    testTimeout: 60000
  }
})
