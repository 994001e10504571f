import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Type-checking every manifest and loading the CLI's commands take seconds on a busy machine.
    testTimeout: 60_000,
    reporters: ["default", ["json", { outputFile: ".vitest/results.json" }]],
  },
})
