import { writeFile } from "node:fs/promises"
import type { ErrorTable } from "@coderops/cli-kit"
import { loadMigrations } from "@coderops/migrations"
import { type Rehearsal, recommend, rehearsalHtml, rehearseMigrations } from "@coderops/rehearse"
import { Flags } from "@oclif/core"
import * as Effect from "effect/Effect"
import { MigrateCommand } from "../../MigrateCommand.js"
import { rehearseErrors, rehearseFlags, rehearseOptions } from "../../rehearseFlags.js"
import { rehearsalText } from "../../rehearseRender.js"

export default class MigrateRehearse extends MigrateCommand<typeof MigrateRehearse> {
  static override summary =
    "Rehearse the pending migrations on production-shaped data: per-statement time, locks, WAL, and how long coderd is blocked, extrapolated to your row counts."

  static override description =
    `On scratch databases on a PostgreSQL server of the rehearsal's own (started in the temporary folder, its shared_buffers, work_mem, maintenance_work_mem and max_wal_size those of the database's server scaled with the rows at each scale, so that what fits in memory at 10% is what fits at 100% in production), or on --scratch-url's server; never on the database's server: the schema at the database's version, data shaped by its statistics (pg_stats) at each --scales fraction of its row counts, then each pending migration as migrate up runs it (its transaction, lock_timeout), one statement at a time, measured: time, rows, WAL, locks held until the commit, rewrites. Meanwhile two sessions per touched table play coderd (one loops on a SELECT … LIMIT 1, one on an UPDATE … WHERE false) and records how long it was blocked. Every cost is fitted against rows (least squares) and extrapolated to the real counts, with R², a standard error, and a warning where a statement does not grow linearly. When a pending migration touches api_keys, everything runs again after a purge of keys expired over 7 days, to measure what the purge saves.`

  static override examples = [
    "<%= config.bin %> <%= command.id %> --database-url postgres://... --dir ./migrations --report rehearsal.html",
    "<%= config.bin %> <%= command.id %> --rows api_keys=2000000 --scales 0.01,0.03,0.1 --full",
  ]

  static override flags = {
    ...rehearseFlags,
    from: Flags.integer({
      summary:
        "Rehearse from this migration version on (default: the database's pending ones; without a database, the last migration).",
    }),
    report: Flags.string({
      summary:
        "Also write a self-contained HTML report (charts, lock timelines, recommendations) to this file.",
    }),
  }

  protected override errorTables(): ReadonlyArray<ErrorTable> {
    return [...super.errorTables(), rehearseErrors(this.config.bin)]
  }

  async run(): Promise<Rehearsal> {
    const { flags } = this
    if (flags.report !== undefined)
      await this.checkOutputFile(
        "--report",
        flags.report,
        "create the folder or choose another path",
        "rehearsal.html",
      )
    const dir = this.directory()
    const database = await this.namesDatabase()
    const line = this.progressLine()
    const settings = await this.runEffect(this.migratorOptions())
    const rehearsal = await this.runDb(
      Effect.gen(function* () {
        const source = yield* loadMigrations(dir)
        return yield* rehearseMigrations(source, {
          ...(yield* rehearseOptions(flags, settings.lockTimeout, line)),
          database,
          from: flags.from,
          table: flags.table,
        })
      }).pipe(Effect.ensuring(Effect.sync(() => line.done()))),
    )
    const recommendations = recommend(rehearsal)
    if (flags.report !== undefined) {
      await writeFile(
        flags.report,
        rehearsalHtml(rehearsal, { purgeAction: `run \`${this.config.bin} db purge api-keys\`` }),
      )
    }
    if (this.jsonEnabled()) return rehearsal
    this.log(rehearsalText(rehearsal, recommendations, this.config.bin))
    if (flags.report !== undefined) this.log(`report: ${flags.report}`)
    return rehearsal
  }
}
