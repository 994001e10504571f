// The plugin's commands by id: oclif's "explicit" command target. The build bundles this
// module with everything it imports (tooling/scripts/bundle-commands.mjs), so that a
// command starts from a few modules instead of hundreds.
import type { Command } from "@oclif/core"
import MetricsServe from "./commands/metrics/serve.js"

export const COMMANDS = {
  "metrics:serve": MetricsServe,
} satisfies Record<string, Command.Class>
