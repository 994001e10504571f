import { countOf, renderTable } from "@coderops/cli-kit"
import { type MigrationStatus, printable } from "@coderops/migrations"
import { Flags } from "@oclif/core"
import { MigrateCommand } from "../../MigrateCommand.js"

export default class MigrateStatus extends MigrateCommand<typeof MigrateStatus> {
  static override summary = "Show the version, dirty flag, pending migrations, drift and durations."

  static override description =
    `Reads schema_migrations (the version and whether it is dirty) and coderops_migration_history, and compares them with the directory: which migrations are applied or pending, which applied files changed since they ran (drift, by SHA-256), and how long each took. Reads only; takes no lock.`

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --all --json",
  ]

  static override flags = {
    all: Flags.boolean({
      summary: "List every migration, not only the last 10 applied and the pending ones.",
    }),
  }

  async run(): Promise<MigrationStatus> {
    const status = await this.runDb(this.withMigrator((migrator) => migrator.status))
    if (this.jsonEnabled()) return status
    const drifted = status.migrations.filter((m) => m.drift)
    this.log(
      [
        `Version   ${status.version ?? "none"}${status.dirty ? "  DIRTY: a migration failed part-way; repair, then `coderops migrate force`" : ""}`,
        `Latest    ${status.latest ?? "none"} in ${printable(this.directory())}`,
        `Pending   ${status.pending}`,
        ...(drifted.length > 0
          ? [
              `Drift     ${countOf(drifted.length, "applied file")} changed since ${drifted.length === 1 ? "it" : "they"} ran: ${drifted.map((m) => printable(m.name)).join(", ")}`,
            ]
          : []),
        "",
      ].join("\n"),
    )
    const applied = status.migrations.filter((m) => m.applied)
    const shown = this.flags.all
      ? status.migrations
      : [...applied.slice(-10), ...status.migrations.filter((m) => !m.applied)]
    if (shown.length > 0) {
      this.log(
        await renderTable(
          shown.map((m) => ({
            migration: printable(m.name),
            state: m.applied ? (m.drift ? "applied, CHANGED since" : "applied") : "pending",
            took: m.seconds === undefined ? "" : `${m.seconds.toFixed(3)} s`,
            at: m.appliedAt ?? "",
          })),
          [
            { key: "migration", name: "Migration" },
            { key: "state", name: "State" },
            { key: "took", name: "Took", align: "right" },
            { key: "at", name: "Applied at" },
          ],
        ),
      )
    }
    return status
  }
}
