import { BaseCommand, globalFlags } from "@coderops/cli-kit"
import { defaultEmbeddedRoot, type EmbeddedStatus, embeddedServerStatus } from "@coderops/db-core"

export default class DbEmbeddedStatus extends BaseCommand<typeof DbEmbeddedStatus> {
  static override summary = "Show whether the embedded PostgreSQL server is running, and where."

  static override description =
    "The embedded server is started on demand by any command run without a database URL; it keeps running between commands. Its data lives in $CODEROPS_DATA_DIR (default: $XDG_DATA_HOME/coderops/postgres, or /var/lib/coderops/postgres for root)."

  static override examples = ["<%= config.bin %> <%= command.id %>"]

  // It works on the embedded server's data directory, never on a database URL.
  static override baseFlags = globalFlags

  async run(): Promise<EmbeddedStatus> {
    const status = await this.runEffect(embeddedServerStatus(defaultEmbeddedRoot(process.env)))
    if (!this.jsonEnabled()) {
      this.log(
        status.running
          ? `running: PostgreSQL ${status.version} on 127.0.0.1:${status.port} (pid ${status.pid}), data in ${status.root}`
          : status.initialized
            ? `stopped; data in ${status.root} (any command without --database-url starts it)`
            : `not created yet; the first command without --database-url creates it in ${status.root}`,
      )
    }
    return status
  }
}
