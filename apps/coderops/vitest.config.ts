import { postgresTestConfig } from "@coderops/test-postgres/config"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    ...postgresTestConfig,
    include: ["test/**/*.test.ts"],
    // These tests mostly wait on the CLI processes and servers they start (one core stays
    // idle running one file at a time): two files at once take 290 s instead of 400.
    maxWorkers: 2,
  },
})
