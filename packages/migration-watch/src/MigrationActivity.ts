import { Db, type SqlError } from "@coderops/db-core"
import {
  coderMigrationLockKey,
  type MigrationState,
  readMigrationState,
} from "@coderops/migrations"
import * as Effect from "effect/Effect"
import { migrationActivitySql } from "./internal/activityQuery.js"

/** A lock a session waits for, as pg_locks shows it. */
export interface AwaitedLock {
  /** `relation`, `transactionid`, `advisory`, ... */
  readonly lockType: string
  /** `AccessExclusiveLock`, `RowExclusiveLock`, ... */
  readonly mode: string
  /** The table or index, as `regclass` prints it; absent for other lock types. */
  readonly relation: string | undefined
}

/** A lock a session holds on a table. */
export interface HeldLock {
  readonly relation: string
  readonly mode: string
}

/** One session, as pg_stat_activity and pg_locks show it at the moment of reading. */
export interface Session {
  readonly pid: number
  readonly applicationName: string
  readonly user: string
  readonly clientAddress: string | undefined
  /** pg_stat_activity.state: `active`, `idle in transaction`, ... */
  readonly state: string | undefined
  readonly waitEventType: string | undefined
  readonly waitEvent: string | undefined
  /** The session's current (or last) query text, cut by the server at track_activity_query_size. */
  readonly query: string
  readonly backendStart: string | undefined
  readonly transactionStart: string | undefined
  /** How long its transaction, its query, and its current state have lasted. */
  readonly transactionSeconds: number | undefined
  readonly querySeconds: number | undefined
  readonly stateSeconds: number | undefined
  readonly waitingFor: ReadonlyArray<AwaitedLock>
  /** The locks it holds on tables (and views) of this database. */
  readonly heldLocks: ReadonlyArray<HeldLock>
}

/** The sessions waiting behind the migration on one table. */
export interface BlockedTable {
  readonly relation: string
  readonly sessions: number
}

export interface MigrationActivity {
  /** ISO 8601 UTC time of the reading. */
  readonly observedAt: string
  /** golang-migrate's state; undefined when the table or its row is missing. */
  readonly state: MigrationState | undefined
  /** The session holding the migration advisory lock (coderd or coderops), if any. */
  readonly migrating: Session | undefined
  /** Other sessions waiting for the migration lock (other replicas, a second coderops). */
  readonly waitingForLock: ReadonlyArray<Session>
  /** Sessions holding a lock the migrating session waits for. */
  readonly blockers: ReadonlyArray<Session>
  /** Sessions waiting behind the migrating session's locks: coderd's queries users feel. */
  readonly blocked: ReadonlyArray<Session>
  readonly blockedByTable: ReadonlyArray<BlockedTable>
}

interface ActivityRow {
  role: "migrating" | "waitingForLock" | "blocker" | "blocked"
  pid: number
  application_name: string | null
  usename: string | null
  client_addr: string | null
  backend_start: Date | null
  xact_start: Date | null
  query_start: Date | null
  state: string | null
  wait_event_type: string | null
  wait_event: string | null
  query: string | null
  transaction_seconds: number | null
  query_seconds: number | null
  state_seconds: number | null
  waiting_for: ReadonlyArray<{ lockType: string; mode: string; relation: string | null }>
  held_locks: ReadonlyArray<HeldLock>
}

// Rounding is the output's job (the CLI's JSON rounds every `…Seconds` to the millisecond).
const seconds = (value: number | null) => (value === null ? undefined : Math.max(0, value))

const sessionOf = (row: ActivityRow): Session => ({
  pid: row.pid,
  applicationName: row.application_name ?? "",
  user: row.usename ?? "unknown",
  clientAddress: row.client_addr ?? undefined,
  state: row.state ?? undefined,
  waitEventType: row.wait_event_type ?? undefined,
  waitEvent: row.wait_event ?? undefined,
  query: row.query ?? "",
  backendStart: row.backend_start?.toISOString(),
  transactionStart: row.xact_start?.toISOString(),
  transactionSeconds: seconds(row.transaction_seconds),
  querySeconds: seconds(row.query_seconds),
  stateSeconds: seconds(row.state_seconds),
  waitingFor: row.waiting_for.map((lock) => ({
    lockType: lock.lockType,
    mode: lock.mode,
    relation: lock.relation ?? undefined,
  })),
  heldLocks: row.held_locks,
})

const blockedTables = (blocked: ReadonlyArray<Session>): ReadonlyArray<BlockedTable> => {
  const counts = new Map<string, number>()
  for (const session of blocked) {
    const relation =
      session.waitingFor.find((lock) => lock.relation !== undefined)?.relation ??
      session.waitingFor[0]?.lockType ??
      "unknown"
    counts.set(relation, (counts.get(relation) ?? 0) + 1)
  }
  return [...counts]
    .map(([relation, sessions]) => ({ relation, sessions }))
    .sort((a, b) => b.sessions - a.sessions || a.relation.localeCompare(b.relation))
}

export interface ActivityOptions {
  /** The advisory lock that marks a migration; Coder's by default. */
  readonly lockKey?: bigint | undefined
  /** golang-migrate's state table. */
  readonly table?: string | undefined
}

/**
 * Who migrates now, what blocks it and whom it blocks: one read of pg_locks and
 * pg_stat_activity, and one of the state table. Takes no lock a migration could wait on.
 * Other users' query texts need pg_read_all_stats (or superuser).
 */
export const readMigrationActivity = Effect.fn("MigrationActivity.read")(function* (
  options?: ActivityOptions,
) {
  const db = yield* Db
  const rows = yield* db.query<ActivityRow>("GetMigrationActivity", migrationActivitySql, [
    (options?.lockKey ?? coderMigrationLockKey).toString(),
  ])
  // No state table yet (a database coderd has not migrated) is "no version", not a failure.
  const state = yield* readMigrationState(options?.table).pipe(
    Effect.catchIf(
      (error: SqlError) => error._tag === "QueryFailed" && error.sqlState === "42P01",
      () => Effect.succeed(undefined),
    ),
  )
  const sessions = (role: ActivityRow["role"]) =>
    rows.filter((row) => row.role === role).map(sessionOf)
  const blocked = sessions("blocked")
  return {
    observedAt: new Date().toISOString(),
    state,
    migrating: sessions("migrating")[0],
    waitingForLock: sessions("waitingForLock"),
    blockers: sessions("blocker"),
    blocked,
    blockedByTable: blockedTables(blocked),
  } satisfies MigrationActivity
})
