import type { DbShape, SqlError } from "@coderops/db-core"
import {
  type Catalog,
  changesCatalog,
  type HeldLock,
  newLocks,
  readCatalog,
  readLocksAndCatalog,
  rewrittenBetween,
} from "@coderops/lint"
import type { Migration, Statement } from "@coderops/migrations"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"

/** What one statement of a migration did, measured. */
export interface StatementMeasure {
  /** 0-based position among the migration's statements. */
  readonly index: number
  readonly line: number
  /** The statement's text, shortened to its first line and 120 characters. */
  readonly text: string
  /** The parser's statement type (`UpdateStmt`, ...). */
  readonly kind: string
  /** Seconds since the migration started. */
  readonly startSeconds: number
  readonly seconds: number
  /** Rows inserted, updated or deleted (0 for DDL). */
  readonly rows: number
  /** WAL the statement wrote, in bytes. */
  readonly walBytes: number
  /** Table locks the statement took that the transaction did not hold yet (not indexes'). */
  readonly locks: ReadonlyArray<{ readonly relation: string; readonly mode: string }>
  /** Tables and indexes it rewrote (a new relfilenode). */
  readonly rewritten: ReadonlyArray<string>
  /** The tables the statement names (from the parser). */
  readonly relations: ReadonlyArray<string>
}

/** A relation lock, from the statement that took it until the migration's commit. */
export interface LockSpan {
  readonly relation: string
  readonly mode: string
  /** The statement that took it. */
  readonly statement: number
  readonly fromSeconds: number
  readonly toSeconds: number
}

export interface MigrationMeasure {
  readonly version: number
  readonly name: string
  readonly transactional: boolean
  readonly seconds: number
  readonly walBytes: number
  readonly statements: ReadonlyArray<StatementMeasure>
  readonly locks: ReadonlyArray<LockSpan>
  /** The statement that failed, with the server's message; the migration was rolled back. */
  readonly failed: { readonly statement: number; readonly message: string } | undefined
}

export interface RunSettings {
  /** lock_timeout, as `migrate up` sets it (Coder: 3 s); zero = none. */
  readonly lockTimeout: Duration.Input
  /** statement_timeout; undefined = the server's. */
  readonly statementTimeout?: Duration.Input | undefined
}

const shortText = (text: string) => {
  const first = text.split("\n").find((l) => l.trim() !== "") ?? ""
  const one = first.trim()
  return one.length > 120 || text.trim() !== one ? `${one.slice(0, 117)}…` : one
}

const settingsText = (settings: RunSettings, local: boolean) =>
  [
    `SET ${local ? "LOCAL " : ""}lock_timeout = ${Math.round(Duration.toMillis(settings.lockTimeout))}`,
    ...(settings.statementTimeout === undefined
      ? []
      : [
          `SET ${local ? "LOCAL " : ""}statement_timeout = ${Math.round(Duration.toMillis(settings.statementTimeout))}`,
        ]),
  ].join("; ")

const walPosition = (db: DbShape, from: string | undefined) =>
  Effect.map(
    db.query<{ lsn: string; bytes: string }>(
      "RehearseWalPosition",
      `SELECT pg_current_wal_insert_lsn()::text AS lsn,
              coalesce(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn), 0)::int8 AS bytes`,
      [from ?? null],
    ),
    ([row]) => ({ lsn: row?.lsn ?? "0/0", bytes: Number(row?.bytes ?? 0) }),
  )

const relationOf = (before: Catalog, after: Catalog, oid: number) =>
  after.byOid.get(oid) ?? before.byOid.get(oid)

/**
 * Runs one migration as `migrate up` runs it — in its own transaction with the lock
 * timeout set at its start, or statement by statement in autocommit for
 * `-- coder:no-transaction` — but one statement at a time, measuring each: its duration,
 * rows, WAL, the locks it took (pg_locks of this session; held until the commit) and the
 * relations it rewrote. A failing statement ends the migration (rolled back, as `migrate
 * up` would). `db` must be a session (one connection).
 */
export const runInstrumented = (
  db: DbShape,
  migration: Migration,
  statements: ReadonlyArray<Statement>,
  settings: RunSettings,
  origin: number = performance.now(),
) =>
  Effect.gen(function* () {
    const transactional = !migration.up.noTransaction
    const since = () => (performance.now() - origin) / 1000
    let before = yield* readCatalog(db)
    const started = since()
    yield* db.script(
      "RehearseBegin",
      transactional ? `BEGIN; ${settingsText(settings, true)}` : settingsText(settings, false),
    )
    let wal = yield* walPosition(db, undefined)
    const firstLsn = wal.lsn
    let held: ReadonlyArray<HeldLock> = []
    const measured: Array<StatementMeasure> = []
    const spans: Array<Omit<LockSpan, "toSeconds">> = []
    let failed: MigrationMeasure["failed"]
    for (const statement of statements.filter((s) => !s.transactionControl)) {
      const index = measured.length
      const start = since()
      const ran = yield* Effect.result(db.execute("RehearseStatement", statement.text))
      const seconds = since() - start
      if (Result.isFailure(ran)) {
        failed = { statement: index, message: (ran.failure as SqlError).message }
        break
      }
      wal = yield* walPosition(db, wal.lsn)
      const refresh = changesCatalog(statement)
      const { locks, catalog: after } = transactional
        ? yield* readLocksAndCatalog(db, before, refresh)
        : {
            locks: [] as ReadonlyArray<HeldLock>,
            catalog: refresh ? yield* readCatalog(db) : before,
          }
      // Table locks only: an index's lock goes with its table's, and says nothing more.
      const taken = newLocks(held, locks).flatMap((l) => {
        const relation = relationOf(before, after, l.oid)
        return relation?.kind === "i"
          ? []
          : [{ relation: relation?.name ?? `oid ${l.oid}`, mode: l.mode }]
      })
      for (const lock of taken) spans.push({ ...lock, statement: index, fromSeconds: start })
      measured.push({
        index,
        line: statement.line,
        text: shortText(statement.text),
        kind: statement.kind,
        startSeconds: start,
        seconds,
        rows: ran.success,
        walBytes: wal.bytes,
        locks: taken,
        rewritten: rewrittenBetween(before, after).map((r) => r.name),
        relations: statement.relations,
      })
      before = after
      held = locks
    }
    if (transactional) {
      const ended = yield* Effect.exit(
        failed === undefined
          ? db.script("RehearseCommit", "COMMIT")
          : db.script("RehearseRollback", "ROLLBACK"),
      )
      if (Exit.isFailure(ended)) {
        failed ??= { statement: measured.length, message: "the commit failed" }
        yield* Effect.ignore(db.script("RehearseRollback", "ROLLBACK"))
      }
    } else {
      yield* db.script("RehearseResetTimeouts", "RESET lock_timeout; RESET statement_timeout")
    }
    const ended = since()
    const total = yield* walPosition(db, firstLsn)
    return {
      version: migration.version,
      name: migration.up.name,
      transactional,
      seconds: ended - started,
      walBytes: total.bytes,
      statements: measured,
      // Outside a transaction a lock ends with its statement.
      locks: spans.map((s) => ({
        ...s,
        toSeconds: transactional ? ended : s.fromSeconds + (measured[s.statement]?.seconds ?? 0),
      })),
      failed,
    } satisfies MigrationMeasure
  })
