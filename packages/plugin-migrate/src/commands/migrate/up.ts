import { Args, Flags } from "@oclif/core"
import { MigrateCommand } from "../../MigrateCommand.js"
import { describeResult, resultJson } from "../../render.js"

export default class MigrateUp extends MigrateCommand<typeof MigrateUp> {
  static override summary = "Apply pending migrations (all, or the next N)."

  static override description =
    `Takes Coder's migration lock (advisory key 1037453835920848937, so coderd cannot migrate at the same time; waits up to 2 minutes and says who holds it), then runs each migration in its own transaction together with its schema_migrations row. A file whose leading comments hold \`-- coder:no-transaction\` runs in autocommit after a dirty marker is committed. Ctrl-C finishes the running migration and starts no other.`

  static override examples = [
    "<%= config.bin %> <%= command.id %> --dry-run",
    "CODER_PG_CONNECTION_URL=postgres://coder@db/coder <%= config.bin %> <%= command.id %> --dir ./coderd/database/migrations",
    "<%= config.bin %> <%= command.id %> 1 --lock-timeout 10s",
  ]

  static override args = {
    count: Args.integer({ description: "Apply only the next N migrations.", min: 1 }),
  }

  static override flags = {
    "dry-run": Flags.boolean({ summary: "Print the plan; apply nothing." }),
    "tx-mode": Flags.string({
      summary:
        "per-migration (one transaction each, as coderd) or all (every pending migration in one transaction).",
      options: ["per-migration", "all"],
      default: "per-migration",
    }),
  }

  async run(): Promise<ReturnType<typeof resultJson>> {
    const result = await this.runDb(
      this.withMigrator(
        (migrator) => migrator.up({ limit: this.args.count, dryRun: this.flags["dry-run"] }),
        {
          txMode: this.flags["tx-mode"] as "per-migration" | "all",
        },
      ),
    )
    this.log(describeResult(result))
    return resultJson(result)
  }
}
