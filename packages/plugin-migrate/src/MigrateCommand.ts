import { BaseCommand } from "@coderops/cli-kit"
import { migrationsDir } from "@coderops/coder-schema"
import { type Db, parseGoDuration } from "@coderops/db-core"
import type { Metrics } from "@coderops/metrics"
import {
  describeLockHolders,
  loadMigrations,
  type Migrator,
  type MigratorEvent,
  makeMigrator,
} from "@coderops/migrations"
import { type Command, Flags } from "@oclif/core"
import * as Effect from "effect/Effect"

/** The flags and setup every `coderops migrate` command shares. */
export abstract class MigrateCommand<T extends typeof Command> extends BaseCommand<T> {
  static override baseFlags = {
    ...BaseCommand.baseFlags,
    dir: Flags.string({
      summary: "Migration directory (golang-migrate layout).",
      description:
        "NNNNNN_title.up.sql / .down.sql files; archive folders such as 000001-000100 are flattened; testdata/fixtures holds fixtures. Default: the bundled Coder-compatible schema.",
      helpGroup: "MIGRATE",
    }),
    table: Flags.string({
      summary: "The golang-migrate state table.",
      default: "schema_migrations",
      helpGroup: "MIGRATE",
    }),
    "lock-timeout": Flags.string({
      summary: "lock_timeout for each migration (Go duration; 0 = none).",
      description:
        "Default: $CODER_PG_MIGRATION_LOCK_TIMEOUT, else 3s, as coderd. On lock_not_available or a deadlock a migration is retried up to 5 times (250 ms → 5 s backoff).",
      helpGroup: "MIGRATE",
    }),
    "statement-timeout": Flags.string({
      summary: "statement_timeout for each migration (Go duration); default: the server's.",
      helpGroup: "MIGRATE",
    }),
  }

  protected directory(): string {
    return (this.flags as { dir?: string }).dir ?? migrationsDir
  }

  /** Progress lines to stderr: one per migration with its duration, lock waits, retries. */
  protected progress(event: MigratorEvent): void {
    if (this.jsonEnabled()) return
    switch (event.type) {
      case "lock-wait":
        this.logToStderr(
          `waiting for the migration lock, held by ${describeLockHolders(event.holders)}`,
        )
        return
      case "lock-acquired":
        this.logToStderr(`got the migration lock after ${event.waitedSeconds.toFixed(1)} s`)
        return
      case "start":
        return
      case "done":
        this.logToStderr(
          `${event.direction === "up" ? "↑" : "↓"} ${event.name}  ${event.seconds.toFixed(3)} s`,
        )
        return
      case "retry":
        this.logToStderr(
          `  ${event.reason} on ${event.version}; retry ${event.attempt} in ${event.delaySeconds.toFixed(2)} s`,
        )
        return
      case "fixture":
        this.logToStderr(`  fixture ${event.name}`)
        return
    }
  }

  /** Loads the directory and runs `use` with a migrator configured from the flags. */
  protected withMigrator<A, E>(
    use: (migrator: Migrator) => Effect.Effect<A, E, Db | Metrics>,
    options?: { readonly txMode?: "per-migration" | "all"; readonly applyFixtures?: boolean },
  ): Effect.Effect<A, unknown, Db | Metrics> {
    const flags = this.flags as {
      table: string
      "lock-timeout"?: string
      "statement-timeout"?: string
    }
    const lockTimeoutText =
      flags["lock-timeout"] ?? process.env.CODER_PG_MIGRATION_LOCK_TIMEOUT ?? "3s"
    const lockTimeoutSource = flags["lock-timeout"]
      ? "--lock-timeout"
      : process.env.CODER_PG_MIGRATION_LOCK_TIMEOUT
        ? "CODER_PG_MIGRATION_LOCK_TIMEOUT"
        : "default"
    const dir = this.directory()
    const progress = (event: MigratorEvent) => this.progress(event)
    return Effect.gen(function* () {
      const lockTimeoutMs = yield* parseGoDuration(lockTimeoutText, lockTimeoutSource)
      const statementTimeoutMs =
        flags["statement-timeout"] === undefined
          ? undefined
          : yield* parseGoDuration(flags["statement-timeout"], "--statement-timeout")
      const source = yield* loadMigrations(dir)
      const migrator = yield* makeMigrator(source, {
        table: flags.table,
        lockTimeoutMs,
        statementTimeoutMs,
        txMode: options?.txMode,
        applyFixtures: options?.applyFixtures,
        onEvent: progress,
      })
      return yield* use(migrator)
    })
  }
}
