import { type ErrorTable, ExitCode } from "@coderops/cli-kit"
import { parseGoDuration } from "@coderops/db-core"
import {
  type LintReport,
  type LintScope,
  lintMigrations,
  toGithubAnnotations,
  toSarif,
} from "@coderops/lint"
import { loadMigrations } from "@coderops/migrations"
import { Flags } from "@oclif/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { lintErrors, lintText } from "../../lintRender.js"
import { MigrateCommand } from "../../MigrateCommand.js"

export default class MigrateLint extends MigrateCommand<typeof MigrateLint> {
  static override summary =
    "Lint pending migrations against the real schema and table sizes: locks, rewrites, full-table updates."

  static override description =
    `Applies the migrations before the first one to lint to a scratch database (on the embedded server, or on the server of --database-url: never the database itself), then runs each migration there statement by statement inside its transaction, reading the locks each statement took (pg_locks) and whether it rewrote a table (relfilenode), and checks it against the schema it starts from (a table created in the same migration is exempt from most rules). With a database (--database-url or CODER_PG_CONNECTION_URL) only its pending migrations are linted, and every finding on an existing table states its rows, size and an estimated lock duration; severity scales with that estimate (--warning-after, --error-after). Without one, every migration is linted and nothing is sized.

Silence a finding on one statement with a comment above it: -- coderops-lint-ignore RULE: reason (the reason is required). Exit ${ExitCode.lintErrors} when an error-severity finding remains.`

  static override examples = [
    "<%= config.bin %> <%= command.id %> --dir ./coderd/database/migrations",
    "<%= config.bin %> <%= command.id %> --all --format sarif > lint.sarif",
    "CODER_PG_CONNECTION_URL=postgres://... <%= config.bin %> <%= command.id %> --dir ./migrations",
  ]

  static override flags = {
    all: Flags.boolean({
      summary: "Lint every migration of the directory, not only the pending ones.",
      exclusive: ["from"],
    }),
    from: Flags.integer({
      summary: "Lint from this migration version on (the ones before it build the scratch schema).",
      exclusive: ["all"],
    }),
    format: Flags.string({
      summary: "text (grouped by migration), json, sarif (2.1.0) or github (workflow annotations).",
      options: ["text", "json", "sarif", "github"],
      default: "text",
    }),
    ignore: Flags.string({
      summary: "Rule ids to leave out (comma-separated).",
      delimiter: ",",
      multiple: true,
    }),
    "show-ignored": Flags.boolean({
      summary: "Also show findings silenced by a coderops-lint-ignore comment, with its reason.",
    }),
    "warning-after": Flags.string({
      summary: "Estimated lock duration from which a sized finding is a warning (Go duration).",
      default: "500ms",
    }),
    "error-after": Flags.string({
      summary: "Estimated lock duration from which a sized finding is an error (Go duration).",
      default: "2s",
    }),
  }

  protected override errorTables(): ReadonlyArray<ErrorTable> {
    return [...super.errorTables(), lintErrors(this.config.bin)]
  }

  async run(): Promise<LintReport> {
    const { flags } = this
    const dir = this.directory()
    const database = await this.namesDatabase()
    const scope: LintScope = flags.all
      ? { kind: "all" }
      : flags.from !== undefined
        ? { kind: "from", version: flags.from }
        : { kind: "pending" }
    const seconds = (text: string, flag: string) =>
      Effect.map(parseGoDuration(text, flag), (d) => Duration.toMillis(d) / 1000)
    const report = await this.runDb(
      Effect.gen(function* () {
        const warningSeconds = yield* seconds(flags["warning-after"], "--warning-after")
        const errorSeconds = yield* seconds(flags["error-after"], "--error-after")
        const source = yield* loadMigrations(dir)
        return yield* lintMigrations(source, {
          database,
          scope,
          table: flags.table,
          ignore: flags.ignore,
          thresholds: { warningSeconds, errorSeconds },
        })
      }),
    )
    if (report.counts.error > 0) process.exitCode = ExitCode.lintErrors
    if (this.jsonEnabled()) return report
    const root = process.cwd()
    switch (flags.format) {
      case "json":
        this.log(JSON.stringify(report, null, 2))
        break
      case "sarif":
        this.log(JSON.stringify(toSarif(report, root, this.config.version), null, 2))
        break
      case "github":
        for (const line of toGithubAnnotations(report.findings, root)) this.log(line)
        break
      default:
        this.log(
          lintText(report, { bin: this.config.bin, showIgnored: flags["show-ignored"], root }),
        )
    }
    return report
  }
}
