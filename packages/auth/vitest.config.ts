import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "auth",
    include: ["test/**/*.test.ts"],
    sequence: { concurrent: false },
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
