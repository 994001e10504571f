import { postgresTestConfig } from "@coderops/test-postgres/config"
import { defineConfig } from "vitest/config"

export default defineConfig({ test: { ...postgresTestConfig, include: ["test/**/*.test.ts"] } })
