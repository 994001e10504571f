import { ExitCode } from "@coderops/cli-kit"
import { createMigration, migrationNameError, printable } from "@coderops/migrations"
import { Args, Flags } from "@oclif/core"
import { MigrateCommand } from "../../MigrateCommand.js"

export default class MigrateCreate extends MigrateCommand<typeof MigrateCreate> {
  static override summary =
    "Create the next NNNNNN_name.up.sql and .down.sql in the migration directory."

  static override description =
    "The version is one more than the highest in the directory (archive folders included), six digits as Coder numbers them. The directory must exist: a mistyped path is refused rather than started afresh at 000001 (create a new directory with mkdir first). Both files start empty but for a comment; with --no-transaction the up file starts with the `-- coder:no-transaction` directive, for a single statement such as CREATE INDEX CONCURRENTLY. Prints the paths. Touches no database."

  static override examples = [
    "<%= config.bin %> <%= command.id %> add_workspace_index --dir ./migrations",
    "<%= config.bin %> <%= command.id %> index_api_keys_expires_at --dir ./migrations --no-transaction",
  ]

  static override args = {
    name: Args.string({ description: "What the migration does, in snake_case.", required: true }),
  }

  static override flags = {
    "no-transaction": Flags.boolean({
      summary:
        "Start the up file with `-- coder:no-transaction` (for one CREATE INDEX CONCURRENTLY).",
    }),
  }

  async run(): Promise<{ up: string; down: string; version: number }> {
    const name = this.args.name
    const dir = this.flags.dir
    if (dir === undefined) {
      // A bad name is reported before a missing --dir.
      const invalid = migrationNameError(name)
      if (invalid !== undefined) this.fail(this.reportFailure(invalid))
      this.fail({
        message: "--dir is required: the bundled schema is read-only",
        hint: "pass your migration directory",
        exitCode: ExitCode.usage,
      })
    }
    const created = await this.runEffect(
      createMigration(dir, name, { noTransaction: this.flags["no-transaction"] }),
    )
    this.log(`created ${printable(created.up)}\ncreated ${printable(created.down)}`)
    return { ...created }
  }
}
