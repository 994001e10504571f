import { BaseCommand } from "@coderops/cli-kit"
import { Args } from "@oclif/core"
import { directoryFlags, MigrateCommand, stateTableFlags } from "../../MigrateCommand.js"

export default class MigrateForce extends MigrateCommand<typeof MigrateForce> {
  static override summary =
    "Set the version and clear the dirty flag, running nothing: the repair after a failed migration."

  static override description =
    "Only after a human has looked: a dirty database means a migration ran part-way outside a transaction. Force the version the schema really is at: the failed migration's version if you completed it by hand, the previous one if you undid it. -1 means no version."

  static override examples = [
    "<%= config.bin %> <%= command.id %> 371",
    "<%= config.bin %> <%= command.id %> -- -1",
  ]

  // It writes the version and runs no migration: no timeouts.
  static override baseFlags = { ...BaseCommand.baseFlags, ...directoryFlags, ...stateTableFlags }

  static override args = {
    version: Args.integer({
      description: "The version the schema is at (-1: none).",
      required: true,
      min: -1,
    }),
  }

  async run(): Promise<{
    from: { version: number; dirty: boolean } | undefined
    to: number | undefined
  }> {
    const result = await this.runDb(
      this.withMigrator((migrator) => migrator.force(this.args.version)),
    )
    const before =
      result.from === undefined
        ? "no version"
        : `${result.from.version}${result.from.dirty ? " (dirty)" : ""}`
    this.log(`forced ${before} → ${result.to ?? "no version"} (clean)`)
    return result
  }
}
