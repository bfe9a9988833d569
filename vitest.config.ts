import { defineConfig } from "vitest/config"

/**
 * One run over every package: each package directory is a vitest project.
 * The JSON report feeds the pass/fail count printed by `.ci/run`.
 */
export default defineConfig({
  test: {
    projects: ["packages/*", "examples"],
    reporters: ["default", "json"],
    outputFile: { json: ".vitest/results.json" }
  }
})
