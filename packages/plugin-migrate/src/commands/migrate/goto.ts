import { Args, Flags } from "@oclif/core"
import { MigrateCommand } from "../../MigrateCommand.js"
import { describeResult, resultJson } from "../../render.js"

export default class MigrateGoto extends MigrateCommand<typeof MigrateGoto> {
  static override summary = "Migrate up or down to a given version."

  static override description =
    `Runs the up files after the current version up to VERSION, or the down files from the current version down to just above VERSION, each in its own transaction with its schema_migrations row, under Coder's migration lock. VERSION must be a version of the directory.`

  static override examples = ["<%= config.bin %> <%= command.id %> 370 --dry-run"]

  static override args = {
    version: Args.integer({ description: "The version to end at.", required: true, min: 1 }),
  }

  static override flags = {
    "dry-run": Flags.boolean({ summary: "Print the plan; apply nothing." }),
  }

  async run(): Promise<ReturnType<typeof resultJson>> {
    const result = await this.runDb(
      this.withMigrator((migrator) => migrator.goto(this.args.version, this.flags["dry-run"])),
    )
    this.log(describeResult(result))
    return resultJson(result)
  }
}
