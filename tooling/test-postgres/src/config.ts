import { fileURLToPath } from "node:url"

/** Spread into a package's vitest `test` config: starts the run's PostgreSQL server. */
export const postgresTestConfig = {
  globalSetup: [fileURLToPath(new URL("./globalSetup.js", import.meta.url))],
  testTimeout: 60_000,
  hookTimeout: 120_000,
}
