import { BaseCommand, globalFlags } from "@coderops/cli-kit"
import { defaultEmbeddedRoot, stopEmbeddedServer } from "@coderops/db-core"

export default class DbEmbeddedStop extends BaseCommand<typeof DbEmbeddedStop> {
  static override summary = "Stop the embedded PostgreSQL server (its data is kept)."

  static override description =
    `Stops the server that commands without --database-url start and share (\`coderops db embedded status\` shows where it lives). Its data directory stays: the next such command starts it again with the same databases. Commands still using it lose their connections.`

  static override examples = ["<%= config.bin %> <%= command.id %>"]

  // It works on the embedded server's data directory, never on a database URL.
  static override baseFlags = globalFlags

  async run(): Promise<{ root: string; wasRunning: boolean }> {
    const root = defaultEmbeddedRoot(process.env)
    const wasRunning = await this.runEffect(stopEmbeddedServer(root))
    this.log(
      wasRunning
        ? `stopped the embedded server in ${root}`
        : `the embedded server in ${root} was not running`,
    )
    return { root, wasRunning }
  }
}
