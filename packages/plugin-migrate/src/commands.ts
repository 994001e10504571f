// The plugin's commands by id: oclif's "explicit" command target. The build bundles this
// module with everything it imports (tooling/scripts/bundle-commands.mjs), so that a
// command starts from a few modules instead of hundreds.
import type { Command } from "@oclif/core"
import MigrateCreate from "./commands/migrate/create.js"
import MigrateDown from "./commands/migrate/down.js"
import MigrateForce from "./commands/migrate/force.js"
import MigrateGoto from "./commands/migrate/goto.js"
import MigrateLint from "./commands/migrate/lint.js"
import MigrateRehearse from "./commands/migrate/rehearse.js"
import MigrateStatus from "./commands/migrate/status.js"
import MigrateUp from "./commands/migrate/up.js"
import MigrateVerify from "./commands/migrate/verify.js"
import MigrateWatch from "./commands/migrate/watch.js"
import UpgradePlan from "./commands/upgrade/plan.js"

export const COMMANDS = {
  "migrate:create": MigrateCreate,
  "migrate:down": MigrateDown,
  "migrate:force": MigrateForce,
  "migrate:goto": MigrateGoto,
  "migrate:lint": MigrateLint,
  "migrate:rehearse": MigrateRehearse,
  "migrate:status": MigrateStatus,
  "migrate:up": MigrateUp,
  "migrate:verify": MigrateVerify,
  "migrate:watch": MigrateWatch,
  "upgrade:plan": UpgradePlan,
} satisfies Record<string, Command.Class>
