import type { SqlError } from "@coderops/db-core"
import * as Data from "effect/Data"
import type { BlockingSession } from "./internal/blockingSessions.js"
import type { LockHolder } from "./internal/lockHolders.js"
import type { Direction } from "./SchemaMigrations.js"

/**
 * What a failed migration left behind, for whoever decides what to do next:
 * - `dirty`: it ran outside a transaction; the database is marked dirty.
 * - `committed-part`: its file has its own BEGIN/COMMIT; what ran before its COMMIT may
 *   be committed while the version did not move.
 * - `run-rolled-back`: every pending migration ran in one transaction, all rolled back.
 * - `unconfirmed`: the connection was lost; rolled back unless it went just as COMMIT ran.
 * - `rolled-back`: nothing of it was applied.
 */
export type FailureOutcome =
  | "dirty"
  | "committed-part"
  | "run-rolled-back"
  | "unconfirmed"
  | "rolled-back"

/**
 * Why it failed, as far as what to do next depends on it: another session's locks
 * (lock_not_available or a deadlock, on every attempt), a lost connection, its
 * statement_timeout, a `COPY ... FROM STDIN` (no client data), another cancel, or its SQL.
 */
export type FailureReason =
  | "lock-conflict"
  | "connection-lost"
  | "statement-timeout"
  | "copy-from-stdin"
  | "canceled"
  | "sql"

/** A migration that failed: which file, where, what the database looks like now. */
export class MigrationFailed extends Data.TaggedError("MigrationFailed")<{
  readonly version: number
  readonly direction: Direction
  /** The file that failed: the migration's, or one of its fixtures. */
  readonly file: string
  /** Whether the migration itself or one of its fixtures failed. */
  readonly kind: "migration" | "fixture"
  readonly line: number | undefined
  readonly column: number | undefined
  readonly sqlState: string | undefined
  readonly cause: SqlError
  readonly attempts: number
  /** True when the database was left dirty (a no-transaction migration). */
  readonly dirty: boolean
  readonly outcome: FailureOutcome
  readonly reason: FailureReason
  /** The version the database is at when the migration completed (undefined = none). */
  readonly versionIfCompleted: number | undefined
  /** The version the database is at when it did not (undefined = none). */
  readonly versionIfNotCompleted: number | undefined
  /**
   * Versions this run reported applied whose commits did not wait for the disk
   * (`synchronous_commit = off`) and that no later commit is known to have flushed: set
   * when the connection was lost, as a server crash then loses them. Otherwise empty.
   */
  readonly unflushedVersions: ReadonlyArray<number>
  /**
   * For a lock conflict: the sessions last seen blocking the migration while it waited
   * (pg_blocking_pids, probed on another connection during the wait); empty when none was
   * seen (a lock_timeout shorter than the probe interval, or not a lock conflict).
   */
  readonly blockedBy: ReadonlyArray<BlockingSession>
  readonly message: string
}> {}

/** A migration failed part-way before: nothing runs until a human repairs and forces a version. */
export class DatabaseDirty extends Data.TaggedError("DatabaseDirty")<{
  /** The dirty version; -1 (golang-migrate's "no version") when the first down failed. */
  readonly version: number
  /** The version to force when the failed migration completed (-1 = none). */
  readonly versionIfCompleted: number
  /**
   * The version to force when it did not (-1 = none); for -1, the directory's first
   * version (undefined when the directory is empty).
   */
  readonly versionIfNotCompleted: number | undefined
  readonly message: string
}> {}

export class MigrationLockTimeout extends Data.TaggedError("MigrationLockTimeout")<{
  /** The advisory lock key, in decimal. */
  readonly lockKey: string
  readonly holders: ReadonlyArray<LockHolder>
  /** How long it waited, in whole seconds. */
  readonly waitedSeconds: number
  readonly message: string
}> {}

/**
 * A request the migration directory cannot satisfy, by `reason`:
 * - `unknown-database-version`: the database is at a version the directory lacks.
 * - `unknown-target`: goto a version the directory lacks (`choices`: its last ones).
 * - `unknown-force-target`: force a version the directory lacks.
 * - `no-transaction-in-run-transaction`: one transaction for the whole run, but `file`
 *   has `-- coder:no-transaction`.
 * - `transaction-control-in-run-transaction`: one transaction for the whole run, but
 *   `file` (at `line`:`column`) controls the transaction itself (`statement`).
 */
export class InvalidMigrationRequest extends Data.TaggedError("InvalidMigrationRequest")<{
  readonly reason:
    | "unknown-database-version"
    | "unknown-target"
    | "unknown-force-target"
    | "no-transaction-in-run-transaction"
    | "transaction-control-in-run-transaction"
  readonly dir: string
  readonly version?: number | undefined
  /** The directory's last versions, for a version it lacks. */
  readonly choices?: ReadonlyArray<number> | undefined
  /** The directory has versions before `choices`. */
  readonly moreChoices?: boolean | undefined
  readonly file?: string | undefined
  readonly line?: number | undefined
  readonly column?: number | undefined
  /** The first word of the transaction control statement (BEGIN, COMMIT, ...). */
  readonly statement?: string | undefined
  readonly message: string
}> {}
