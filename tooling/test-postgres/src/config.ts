import { fileURLToPath } from "node:url"

/**
 * Spread into a package's vitest `test` config: starts the run's PostgreSQL server, and
 * writes a JSON report that the root test command sums into one closing line.
 */
export const postgresTestConfig = {
  globalSetup: [fileURLToPath(new URL("./globalSetup.js", import.meta.url))],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  reporters: ["default", ["json", { outputFile: ".vitest/results.json" }]] as Array<
    string | [string, Record<string, unknown>]
  >,
}
