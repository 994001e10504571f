// The plugin's commands by id: oclif's "explicit" command target. The build bundles this
// module with everything it imports (tooling/scripts/bundle-commands.mjs), so that a
// command starts from a few modules instead of hundreds.
import type { Command } from "@oclif/core"
import Demo from "./commands/demo.js"
import Doctor from "./commands/doctor.js"
import Help from "./commands/help.js"

export const COMMANDS = {
  demo: Demo,
  doctor: Doctor,
  help: Help,
} satisfies Record<string, Command.Class>
