import { BaseCommand, type ErrorTable, formatElapsed, type ProgressLine } from "@coderops/cli-kit"
import { migrationsDir } from "@coderops/coder-schema"
import { type Db, EmbeddedTarget, type InvalidDuration, parseGoDuration } from "@coderops/db-core"
import type { Metrics } from "@coderops/metrics"
import {
  describeLockHolders,
  loadMigrations,
  type Migrator,
  type MigratorEvent,
  type MigratorOptions,
  makeMigrator,
  printable,
} from "@coderops/migrations"
import { type Command, Flags } from "@oclif/core"
import * as Effect from "effect/Effect"
import { migrationsErrors } from "./errors.js"
import { describeBlockers } from "./render.js"

/** A Go duration for a server timeout: within what PostgreSQL accepts. */
const serverTimeout = (text: string, source: string) =>
  parseGoDuration(text, source, { serverTimeout: true })

/** The migration directory: every `coderops migrate` command reads one. */
export const directoryFlags = {
  dir: Flags.string({
    summary: "Migration directory (golang-migrate layout).",
    description:
      "NNNNNN_title.up.sql / .down.sql files; archive folders such as 000001-000100 are flattened; testdata/fixtures holds fixtures. Default: the bundled Coder-compatible schema.",
    helpGroup: "MIGRATE",
    // An empty path would read the current directory (an unset variable in a script).
    parse: async (input) => {
      if (input === "")
        throw new Error("--dir is empty: pass a migration directory (. for the current one)")
      return input
    },
  }),
}

/** golang-migrate's state table: commands that read or write the database's version. */
export const stateTableFlags = {
  table: Flags.string({
    summary: "The golang-migrate state table.",
    default: "schema_migrations",
    helpGroup: "MIGRATE",
  }),
}

/** The timeouts each migration runs under: only commands that run migrations offer them. */
export const migrationTimeoutFlags = {
  "lock-timeout": Flags.string({
    summary: "lock_timeout for each migration (Go duration, 1ms to 596h; 0 = none).",
    description:
      "Default: $CODER_PG_MIGRATION_LOCK_TIMEOUT, else 3s, as coderd. On lock_not_available or a deadlock a migration is retried up to 5 times (250 ms → 5 s backoff).",
    helpGroup: "MIGRATE",
  }),
  "statement-timeout": Flags.string({
    summary:
      "statement_timeout for each migration (Go duration, 1ms to 596h; 0 = none); default: the server's.",
    helpGroup: "MIGRATE",
  }),
}

/**
 * The setup every `coderops migrate` command shares. Its flags are those of a command that
 * runs migrations; one that runs none opts into fewer groups (its own `baseFlags`).
 */
export abstract class MigrateCommand<T extends typeof Command> extends BaseCommand<T> {
  static override baseFlags: typeof BaseCommand.baseFlags &
    typeof directoryFlags &
    Partial<typeof stateTableFlags & typeof migrationTimeoutFlags> = {
    ...BaseCommand.baseFlags,
    ...directoryFlags,
    ...stateTableFlags,
    ...migrationTimeoutFlags,
  }

  /** The wording and exit codes of the migrations library's errors. */
  protected override errorTables(): ReadonlyArray<ErrorTable> {
    return [...super.errorTables(), migrationsErrors(this.config.bin)]
  }

  protected directory(): string {
    return (this.flags as { dir?: string }).dir ?? migrationsDir
  }

  /**
   * Whether a database was given (a flag or the environment; on the embedded server, one
   * named by CODEROPS_EMBEDDED_DATABASE, such as the demo's): lint, rehearse and plan then
   * work on its pending migrations and size them by its tables.
   */
  protected async namesDatabase(): Promise<boolean> {
    const target = await this.runEffect(this.databaseTarget())
    return !(target instanceof EmbeddedTarget) || target.database !== undefined
  }

  /** Fixtures applied by the running migration: printed under its line once it is done. */
  private fixtureLines: Array<string> = []

  /**
   * Progress on stderr: a line per migration with its duration, lock waits, retries; the
   * live (or periodic) line of a migration that runs long, with who blocks it.
   */
  protected progress(event: MigratorEvent, line: ProgressLine, seen: { blockers?: string }): void {
    const arrow = (direction: "up" | "down") => (direction === "up" ? "↑" : "↓")
    switch (event.type) {
      case "lock-wait":
        line.log(`waiting for the migration lock, held by ${describeLockHolders(event.holders)}`)
        return
      case "lock-acquired":
        line.log(`got the migration lock after ${event.waitedSeconds.toFixed(1)} s`)
        return
      case "start":
        this.fixtureLines = []
        return
      case "running": {
        const blockers = describeBlockers(event.blockedBy)
        // Who blocks, once per change: it stays in the scrollback (and in a log at once),
        // whatever the live line's width cuts off.
        if (blockers !== "" && blockers !== seen.blockers)
          line.log(`  ${event.version} waits for a lock held by ${blockers}`)
        seen.blockers = blockers
        line.update(
          `${arrow(event.direction)} ${printable(event.name)}  running for ${formatElapsed(event.seconds)}${blockers === "" ? "" : `, waiting for ${event.blockedBy.map((s) => `pid ${s.pid}`).join(", ")}`}`,
        )
        return
      }
      case "done":
        line.log(
          `${arrow(event.direction)} ${printable(event.name)}  ${event.seconds.toFixed(3)} s`,
        )
        for (const fixture of this.fixtureLines.splice(0)) line.log(fixture)
        return
      case "retry":
        // The attempt's fixtures were rolled back with it; the next attempt runs them again.
        this.fixtureLines = []
        line.log(
          `  ${event.reason} on ${event.version}; retry ${event.attempt} in ${event.delaySeconds.toFixed(2)} s`,
        )
        return
      case "fixture":
        // Fixtures run inside their migration's step, before it reports done.
        this.fixtureLines.push(`  fixture ${printable(event.name)}`)
        return
    }
  }

  /** The state table and timeouts from the flags and CODER_PG_MIGRATION_LOCK_TIMEOUT. */
  protected migratorOptions(): Effect.Effect<
    Pick<MigratorOptions, "table" | "lockTimeout" | "statementTimeout">,
    InvalidDuration
  > {
    const flags = this.flags as {
      table: string
      "lock-timeout"?: string
      "statement-timeout"?: string
    }
    // As coderd: an empty variable is an unset one.
    const fromEnv = process.env.CODER_PG_MIGRATION_LOCK_TIMEOUT || undefined
    const [lockTimeoutText, lockTimeoutSource] =
      flags["lock-timeout"] !== undefined
        ? [flags["lock-timeout"], "--lock-timeout"]
        : fromEnv !== undefined
          ? [fromEnv, "CODER_PG_MIGRATION_LOCK_TIMEOUT"]
          : ["3s", "default"]
    return Effect.gen(function* () {
      const lockTimeout = yield* serverTimeout(lockTimeoutText, lockTimeoutSource)
      const statementTimeout =
        flags["statement-timeout"] === undefined
          ? undefined
          : yield* serverTimeout(flags["statement-timeout"], "--statement-timeout")
      return { table: flags.table, lockTimeout, statementTimeout }
    })
  }

  /** Loads the directory and runs `use` with a migrator configured from the flags. */
  protected withMigrator<A, E>(
    use: (migrator: Migrator) => Effect.Effect<A, E, Db | Metrics>,
    options?: { readonly txMode?: "per-migration" | "all"; readonly applyFixtures?: boolean },
  ): Effect.Effect<A, unknown, Db | Metrics> {
    const dir = this.directory()
    const line = this.progressLine()
    const seen = {}
    const progress = (event: MigratorEvent) => this.progress(event, line, seen)
    // Under --json nobody sees it: no watch, no lookups of blockers.
    const watch = this.jsonEnabled() ? undefined : {}
    const configured = this.migratorOptions()
    return Effect.gen(function* () {
      const settings = yield* configured
      const source = yield* loadMigrations(dir)
      const migrator = yield* makeMigrator(source, {
        ...settings,
        txMode: options?.txMode,
        applyFixtures: options?.applyFixtures,
        onEvent: progress,
        watch,
      })
      return yield* use(migrator)
      // The result or the error is printed on a clean line.
    }).pipe(Effect.ensuring(Effect.sync(() => line.done())))
  }
}
