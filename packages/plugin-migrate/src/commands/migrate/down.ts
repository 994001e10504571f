import { ExitCode } from "@coderops/cli-kit"
import { Args, Flags } from "@oclif/core"
import { MigrateCommand } from "../../MigrateCommand.js"
import { describeResult, resultJson } from "../../render.js"

export default class MigrateDown extends MigrateCommand<typeof MigrateDown> {
  static override summary = "Roll back the last N migrations (every one needs --all)."

  static override description =
    `Takes Coder's migration lock, then runs the down file of each migration, newest first, each in its own transaction together with its schema_migrations row (a \`-- coder:no-transaction\` down file runs in autocommit after a dirty marker). Without N and without --all it refuses: rolling back everything drops what the directory created. Ctrl-C finishes the running migration and starts no other.`

  static override examples = [
    "<%= config.bin %> <%= command.id %> 1",
    "<%= config.bin %> <%= command.id %> --all --dry-run",
  ]

  static override args = {
    count: Args.integer({ description: "How many migrations to roll back.", min: 1 }),
  }

  static override flags = {
    all: Flags.boolean({
      summary: "Roll back every migration (drops the whole schema the directory created).",
    }),
    "dry-run": Flags.boolean({ summary: "Print the plan; apply nothing." }),
  }

  async run(): Promise<ReturnType<typeof resultJson>> {
    const { count } = this.args
    if (count === undefined && !this.flags.all) {
      this.fail({
        message:
          "say how many migrations to roll back (e.g. `migrate down 1`), or --all for every one",
        hint: "rolling back everything drops the schema; it needs --all on purpose",
        exitCode: ExitCode.usage,
      })
    }
    const result = await this.runDb(
      this.withMigrator((migrator) =>
        migrator.down({ count: this.flags.all ? "all" : count!, dryRun: this.flags["dry-run"] }),
      ),
    )
    this.log(describeResult(result))
    return resultJson(result)
  }
}
