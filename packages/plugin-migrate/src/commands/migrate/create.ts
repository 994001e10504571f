import { mkdir, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { withFileLock } from "@coderops/db-core"
import { loadMigrations, printable } from "@coderops/migrations"
import { Args, Flags } from "@oclif/core"
import { MigrateCommand } from "../../MigrateCommand.js"

/** NAME_MAX of Linux and macOS file systems, in bytes (a snake_case name is ASCII). */
const fileNameMax = 255

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
    // The longest name whose down file fits in a file name with a six-digit version.
    const longest = fileNameMax - "000000_.down.sql".length
    if (name.length > longest) {
      this.fail({
        message: `the name is ${name.length} characters; at most ${longest} fit in a file name (NNNNNN_name.down.sql, ${fileNameMax} bytes at most)`,
        hint: "choose a shorter name",
        exitCode: 2,
      })
    }
    await mkdir(dir, { recursive: true })
    // Two creates at once would both take the same next version: one at a time. The lock
    // file's name is no migration's, so a reader of the directory ignores it.
    const created = await withFileLock(join(dir, ".coderops-create.lock"), 30_000, () =>
      this.createNext(dir, name),
    )
    this.log(`created ${printable(created.up)}\ncreated ${printable(created.down)}`)
    return created
  }

  /** The next version after the highest the directory holds (a broken directory is reported, not extended). */
  private async createNext(dir: string, name: string) {
    const source = await this.runEffect(loadMigrations(dir))
    const version = (source.migrations.at(-1)?.version ?? 0) + 1
    const base = `${String(version).padStart(6, "0")}_${name}`
    if (base.length + ".down.sql".length > fileNameMax) {
      this.fail({
        message: `${base}.down.sql would be longer than the ${fileNameMax} bytes a file name can hold`,
        hint: "choose a shorter name",
        exitCode: 2,
      })
    }
    const up = join(dir, `${base}.up.sql`)
    const down = join(dir, `${base}.down.sql`)
    const directive = this.flags["no-transaction"] ? "-- coder:no-transaction\n" : ""
    await writeFile(up, `${directive}-- ${name}\n`, { flag: "wx" })
    // Never half a pair: the directory would no longer load.
    await writeFile(down, `-- undo ${name}\n`, { flag: "wx" }).catch(async (cause: unknown) => {
      await rm(up, { force: true })
      throw cause
    })
    return { up, down, version }
  }
}
