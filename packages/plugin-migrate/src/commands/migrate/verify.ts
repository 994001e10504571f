import { countOf } from "@coderops/cli-kit"
import {
  loadMigrations,
  type VerifyReport,
  verifyChain,
  withScratchDatabase,
} from "@coderops/migrations"
import { Flags } from "@oclif/core"
import * as Effect from "effect/Effect"
import { MigrateCommand } from "../../MigrateCommand.js"

export default class MigrateVerify extends MigrateCommand<typeof MigrateVerify> {
  static override summary =
    "Verify a migration chain on a scratch database, as Coder's migration tests do."

  static override description =
    `Creates a scratch database (on the embedded server by default, or on the server of --database-url: never in the database itself), then: up all, down all, up again applying testdata/fixtures/NNNNNN_*.up.sql right after the migration with the same number. Fails, naming what is wrong, when a table holds no row after the fixtures (not --exempt), when down of everything leaves objects behind, or when the schema after up→down→up differs from the first up. The scratch database is dropped afterwards. Run it in CI on every migration you write.`

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --dir ./coderd/database/migrations --exempt audit_logs,licenses",
  ]

  static override flags = {
    exempt: Flags.string({
      summary: "Tables allowed to stay empty after the fixtures (comma-separated).",
      delimiter: ",",
      multiple: true,
    }),
  }

  async run(): Promise<VerifyReport> {
    const dir = this.directory()
    const line = this.progressLine()
    const phase = (text: string) => line.log(`— ${text}`)
    const configured = this.migratorOptions()
    const exempt = this.flags.exempt
    const seen = {}
    const progress = (event: Parameters<typeof this.progress>[0]) =>
      this.progress(event, line, seen)
    const report = await this.runDb(
      Effect.gen(function* () {
        const migrator = yield* configured
        const source = yield* loadMigrations(dir)
        return yield* withScratchDatabase(
          verifyChain(source, {
            exempt,
            migrator,
            onEvent: (event) => (event.type === "phase" ? phase(event.phase) : progress(event)),
          }),
        )
      }).pipe(Effect.ensuring(Effect.sync(() => line.done()))),
    )
    this.log(
      `verified ${countOf(report.migrations, "migration")} in ${dir}: up, down, up with fixtures; ${countOf(report.tables, "table")} ${report.tables === 1 ? "holds" : "hold"} rows${report.exempted > 0 ? ` (${report.exempted} exempt)` : ""}; the schema after up→down→up equals the first up`,
    )
    return report
  }
}
