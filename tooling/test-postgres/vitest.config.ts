import { defineConfig } from "vitest/config"
import { postgresTestConfig } from "./src/config.js"

export default defineConfig({ test: { ...postgresTestConfig, include: ["test/**/*.test.ts"] } })
