import { basename } from "node:path"
import { type ErrorTable, ExitCode, errorTable } from "@coderops/cli-kit"
import type { InvalidPlan } from "@coderops/migration-watch"
import {
  type CoderV1Database,
  type DatabaseDirty,
  type InvalidMigrationName,
  type InvalidMigrationRequest,
  type InvalidStateTable,
  type MigrationDirectoryError,
  type MigrationDirectoryMissing,
  type MigrationFailed,
  type MigrationLockTimeout,
  printable,
  type ScratchDatabaseNotEmpty,
  type VerifyFailed,
} from "@coderops/migrations"
import { describeBlockers } from "./render.js"

type MigrationsError =
  | CoderV1Database
  | DatabaseDirty
  | InvalidMigrationName
  | InvalidMigrationRequest
  | InvalidStateTable
  | MigrationDirectoryError
  | MigrationDirectoryMissing
  | MigrationFailed
  | MigrationLockTimeout
  | ScratchDatabaseNotEmpty
  | VerifyFailed

const undoDown = "make each down migration undo exactly what its up did"

/** What the database looks like after a failed migration, and what a human does next. */
const afterFailure = (error: MigrationFailed, bin: string): string => {
  switch (error.outcome) {
    case "dirty":
      return `the database is now dirty: this migration ran outside a transaction. Check what it did and finish or undo it by hand, then run \`${bin} migrate force ${error.versionIfCompleted ?? -1}\` if it completed, or \`${bin} migrate force ${error.versionIfNotCompleted ?? -1}\` if it did not`
    case "committed-part":
      return `${printable(basename(error.file))} has its own BEGIN/COMMIT, so what ran before its COMMIT may be committed while the version stayed at ${error.versionIfNotCompleted ?? "none"}. Check the schema and finish or undo that part by hand`
    case "run-rolled-back":
      return "--tx-mode all rolled back the whole run: none of its migrations was applied"
    case "unconfirmed":
      return "the server never confirmed this migration: it was rolled back, unless the connection was lost just as its COMMIT ran"
    case "rolled-back":
      return "nothing of this migration was applied (it ran in a transaction)"
  }
}

/** What to do about the cause, and the exit code it gives. */
const adviceFor = (error: MigrationFailed) => {
  switch (error.reason) {
    case "lock-conflict": {
      const pids = error.blockedBy.map((session) => session.pid)
      return {
        hint:
          pids.length === 0
            ? "another session held conflicting locks for every attempt. Find it in pg_stat_activity, or raise CODER_PG_MIGRATION_LOCK_TIMEOUT"
            : `let ${pids.length === 1 ? "that session" : "those sessions"} finish, or end ${pids.length === 1 ? "it" : "them"} (SELECT pg_terminate_backend(${pids.join(", ")})${pids.length === 1 ? "" : " for each"}), then run again; or raise CODER_PG_MIGRATION_LOCK_TIMEOUT (--lock-timeout)`,
        exitCode: ExitCode.lockConflict,
      }
    }
    case "connection-lost":
      return { hint: "check the server, then run again", exitCode: ExitCode.connectionFailed }
    case "statement-timeout":
      return {
        hint: "it ran longer than statement_timeout (--statement-timeout); raise the timeout for this run, or make the migration cheaper",
        exitCode: ExitCode.sqlError,
      }
    case "copy-from-stdin":
      return {
        hint: "COPY ... FROM STDIN needs data sent by the client, which a migration file cannot carry; insert the rows with INSERT instead",
        exitCode: ExitCode.sqlError,
      }
    case "canceled":
      return {
        hint: "it was cancelled by another session or a server shutdown; run again",
        exitCode: ExitCode.sqlError,
      }
    case "sql":
      return {
        hint: `fix the ${error.kind === "fixture" ? "fixture" : "SQL"} and run again`,
        exitCode: ExitCode.sqlError,
      }
  }
}

/** After a lost connection, what a crash may have taken back, and how to find out. */
const afterLostConnection = (error: MigrationFailed, bin: string) => {
  const unflushed = error.unflushedVersions
  const lost =
    unflushed.length === 0
      ? ""
      : `. ${unflushed.length === 1 ? "Migration" : "Migrations"} ${unflushed.join(", ")}, reported applied before it, were committed without waiting for the disk: if the server crashed (rather than only the connection dropping) ${unflushed.length === 1 ? "it" : "they"} may be lost`
  return `${lost}. Run \`${bin} migrate status\` to see the version the database is at`
}

const migrationFailed = (error: MigrationFailed, bin: string) => {
  const advice = adviceFor(error)
  const applied = afterFailure(error, bin)
  const problem =
    error.blockedBy.length === 0
      ? undefined
      : `${error.message}; blocked by ${describeBlockers(error.blockedBy)}`
  if (error.dirty) return { problem, hint: applied, exitCode: advice.exitCode }
  const lost = error.cause._tag === "ConnectionFailed" ? afterLostConnection(error, bin) : ""
  return { problem, hint: `${applied}; ${advice.hint}${lost}`, exitCode: advice.exitCode }
}

const oneTransaction = "--tx-mode all runs every migration in one transaction, but"
const perMigration = "run it with the default --tx-mode per-migration"

const invalidRequest = (error: InvalidMigrationRequest) => {
  const exitCode = ExitCode.invalidConfig
  switch (error.reason) {
    case "unknown-database-version":
      return {
        exitCode,
        hint: "use the migration directory of the Coder release this database came from (or a newer one)",
      }
    case "unknown-target": {
      const choices = error.choices ?? []
      return {
        exitCode,
        hint: `choose one of ${choices.join(", ")}${error.moreChoices ? ", ..." : ""}`,
      }
    }
    case "unknown-force-target":
      return { exitCode, hint: "force a version of this directory, or -1 for no version" }
    case "no-transaction-in-run-transaction":
      return {
        exitCode,
        problem: `${oneTransaction} ${printable(basename(error.file ?? ""))} has \`-- coder:no-transaction\` (it cannot run inside a transaction)`,
        hint: `${perMigration}, as coderd does`,
      }
    case "transaction-control-in-run-transaction":
      return {
        exitCode,
        problem: `${oneTransaction} ${printable(error.file ?? "")}:${error.line}:${error.column} controls the transaction itself (${error.statement}): it would commit part of the run, and a later failure could not roll that back`,
        hint: `${perMigration}, or remove its BEGIN/COMMIT`,
      }
  }
}

/** The wording and exit codes of @coderops/migrations' errors; `bin` names the CLI. */
export const migrationsErrors = (bin: string): ErrorTable =>
  errorTable<MigrationsError>({
    MigrationDirectoryError: (error) => ({
      exitCode: ExitCode.invalidConfig,
      hint: error.unreadable
        ? "pass the folder that holds the NNNNNN_title.up.sql / .down.sql files, and check that it can be read"
        : "rename, pair or remove the files listed: each version needs one NNNNNN_title.up.sql and one NNNNNN_title.down.sql with the same title, in the directory or an archive folder such as 000001-000100, encoded as UTF-8",
    }),
    MigrationDirectoryMissing: (error) => ({
      exitCode: ExitCode.invalidConfig,
      hint: `check the path; to start a new migration directory, create it first (mkdir -p ${printable(error.dir)})`,
    }),
    MigrationFailed: (error) => migrationFailed(error, bin),
    DatabaseDirty: (error) => ({
      exitCode: ExitCode.failure,
      hint:
        error.version === -1
          ? `inspect the schema, repair what that down migration left, then \`${bin} migrate force -1\` (it completed) or \`${bin} migrate force ${error.versionIfNotCompleted ?? "<first version>"}\` (it did not)`
          : `inspect the schema, repair what migration ${error.version} left, then \`${bin} migrate force ${error.versionIfCompleted}\` (it completed) or \`${bin} migrate force ${error.versionIfNotCompleted ?? -1}\` (it did not)`,
    }),
    MigrationLockTimeout: () => ({
      exitCode: ExitCode.lockConflict,
      hint: "another coderops or coderd is migrating this database; wait for it, or stop it",
    }),
    InvalidMigrationRequest: invalidRequest,
    InvalidMigrationName: (error) => ({
      exitCode: ExitCode.usage,
      hint:
        error.reason === "not-snake-case" ? "e.g. add_workspace_index" : "choose a shorter name",
    }),
    CoderV1Database: () => ({
      exitCode: ExitCode.invalidConfig,
      hint: "point --database-url at the Coder v2 database",
    }),
    InvalidStateTable: () => ({ exitCode: ExitCode.invalidConfig }),
    ScratchDatabaseNotEmpty: () => ({ exitCode: ExitCode.invalidConfig }),
    VerifyFailed: (error) => ({
      exitCode: ExitCode.failure,
      hint:
        error.report.emptyTables.length > 0
          ? "add testdata/fixtures/NNNNNN_<name>.up.sql inserting a row into each table named, or exempt it with --exempt"
          : undoDown,
    }),
  })

/** migrate watch's own: a --plan file it cannot use. */
export const watchErrors = (bin: string): ErrorTable =>
  errorTable<InvalidPlan>({
    InvalidPlan: () => ({
      exitCode: ExitCode.invalidConfig,
      hint: `give the JSON that \`${bin} migrate rehearse --json\` or \`${bin} upgrade plan --rehearse --format json\` wrote`,
    }),
  })
