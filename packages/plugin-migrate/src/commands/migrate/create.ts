import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { loadMigrations } from "@coderops/migrations"
import { Args, Flags } from "@oclif/core"
import { MigrateCommand } from "../../MigrateCommand.js"

export default class MigrateCreate extends MigrateCommand<typeof MigrateCreate> {
  static override summary =
    "Create the next NNNNNN_name.up.sql and .down.sql in the migration directory."

  static override description =
    "The version is one more than the highest in the directory (archive folders included), six digits as Coder numbers them. Both files start empty but for a comment; with --no-transaction the up file starts with the `-- coder:no-transaction` directive, for a single statement such as CREATE INDEX CONCURRENTLY. Prints the paths. Touches no database."

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
    if (!/^[a-z0-9_]+$/.test(name)) {
      this.fail({
        message: `"${name}" is not snake_case (a-z, 0-9, _)`,
        hint: "e.g. add_workspace_index",
        exitCode: 2,
      })
    }
    const dir = this.flags.dir
    if (dir === undefined) {
      this.fail({
        message: "--dir is required: the bundled schema is read-only",
        hint: "pass your migration directory",
        exitCode: 2,
      })
    }
    await mkdir(dir, { recursive: true })
    // The next version after the highest the directory holds (a broken directory is
    // reported, not extended).
    const source = await this.runEffect(loadMigrations(dir))
    const version = (source.migrations.at(-1)?.version ?? 0) + 1
    const base = `${String(version).padStart(6, "0")}_${name}`
    const up = join(dir, `${base}.up.sql`)
    const down = join(dir, `${base}.down.sql`)
    const directive = this.flags["no-transaction"] ? "-- coder:no-transaction\n" : ""
    await writeFile(up, `${directive}-- ${name}\n`, { flag: "wx" })
    await writeFile(down, `-- undo ${name}\n`, { flag: "wx" })
    this.log(`created ${up}\ncreated ${down}`)
    return { up, down, version }
  }
}
