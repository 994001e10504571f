import type { ErrorTable } from "@coderops/cli-kit"
import { loadMigrations } from "@coderops/migrations"
import { planUpgrade, type UpgradePlan } from "@coderops/rehearse"
import { Flags } from "@oclif/core"
import * as Effect from "effect/Effect"
import { MigrateCommand } from "../../MigrateCommand.js"
import { rehearseErrors, rehearseFlags, rehearseOptions } from "../../rehearseFlags.js"
import { planDocument } from "../../rehearseRender.js"

export default class UpgradePlanCommand extends MigrateCommand<typeof UpgradePlanCommand> {
  static override summary =
    "The plan for an upgrade: pending migrations, lint findings with sizes, measured lock times (--rehearse) and what shortens them."

  static override description =
    `Current and target versions, the pending migrations, their lint findings sized against your tables and, with --rehearse, each migration rehearsed on production-shaped data (see migrate rehearse): how long coderd is blocked on which table, extrapolated to your row counts, and the actions that shorten it with their measured effect (a purge of expired API keys first, measured both ways). Ends with Coder's advice: one replica during the upgrade, CODER_PG_MIGRATION_LOCK_TIMEOUT, the expected downtime. --format markdown is ready for a change ticket.`

  static override examples = [
    "<%= config.bin %> <%= command.id %> --database-url postgres://... --dir ./migrations --rehearse --format markdown > upgrade.md",
  ]

  static override flags = {
    ...rehearseFlags,
    rehearse: Flags.boolean({
      summary: "Rehearse the pending migrations for measured lock times (takes longer).",
    }),
    format: Flags.string({
      summary: "text, markdown or json.",
      options: ["text", "markdown", "json"],
      default: "text",
    }),
  }

  protected override errorTables(): ReadonlyArray<ErrorTable> {
    return [...super.errorTables(), rehearseErrors(this.config.bin)]
  }

  async run(): Promise<UpgradePlan> {
    const { flags } = this
    const dir = this.directory()
    const database = await this.namesDatabase()
    const settings = await this.runEffect(this.migratorOptions())
    const line = this.progressLine()
    const plan = await this.runDb(
      Effect.gen(function* () {
        const source = yield* loadMigrations(dir)
        const rehearse = flags.rehearse
          ? yield* rehearseOptions(flags, settings.lockTimeout, line)
          : undefined
        return yield* planUpgrade(source, { database, table: flags.table, rehearse })
      }).pipe(Effect.ensuring(Effect.sync(() => line.done()))),
    )
    if (this.jsonEnabled()) return plan
    if (flags.format === "json") this.log(JSON.stringify(plan, null, 2))
    else this.log(planDocument(plan, this.config.bin, flags.format === "markdown"))
    return plan
  }
}
