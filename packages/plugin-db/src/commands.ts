// The plugin's commands by id: oclif's "explicit" command target. The build bundles this
// module with everything it imports (tooling/scripts/bundle-commands.mjs), so that a
// command starts from a few modules instead of hundreds.
import type { Command } from "@oclif/core"
import DbEmbeddedStatus from "./commands/db/embedded/status.js"
import DbEmbeddedStop from "./commands/db/embedded/stop.js"
import DbInfo from "./commands/db/info.js"
import DbPurgeApiKeys from "./commands/db/purge/api-keys.js"
import DbSeed from "./commands/db/seed.js"

export const COMMANDS = {
  "db:embedded:status": DbEmbeddedStatus,
  "db:embedded:stop": DbEmbeddedStop,
  "db:info": DbInfo,
  "db:purge:api-keys": DbPurgeApiKeys,
  "db:seed": DbSeed,
} satisfies Record<string, Command.Class>
