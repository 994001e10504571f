// The plugin's commands by id: oclif's "explicit" command target. The build bundles this
// module with everything it imports (tooling/scripts/bundle-commands.mjs), so that a
// command starts from a few modules instead of hundreds.
import type { Command } from "@oclif/core"
import PrebuildsReconcile from "./commands/prebuilds/reconcile.js"
import PrebuildsStatus from "./commands/prebuilds/status.js"

export const COMMANDS = {
  "prebuilds:reconcile": PrebuildsReconcile,
  "prebuilds:status": PrebuildsStatus,
} satisfies Record<string, Command.Class>
