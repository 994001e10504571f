import type { DbShape, SqlError } from "@coderops/db-core"
import type { Statement } from "@coderops/migrations"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import { analyseStatement } from "./analyse.js"
import {
  changesCatalog,
  type HeldLock,
  newLocks,
  readCatalog,
  readLocksAndCatalog,
  rewrittenBetween,
  type Trace,
} from "./catalog.js"
import { finishMigration } from "./finish.js"
import { type Hit, newMigrationState } from "./hits.js"

const failureOf = (error: SqlError): Trace["failed"] => ({
  code: "sqlState" in error ? error.sqlState : undefined,
  message: error.message,
})

/**
 * Applies one migration to the scratch database statement by statement, as it will run
 * (in one transaction unless it has the no-transaction directive), and analyses each
 * statement with what it did: the locks it took (pg_locks of this session) and the
 * relations it rewrote (a new relfilenode). A statement that fails is rolled back to a
 * savepoint and reported; the migration goes on, and is committed so the next one starts
 * from its schema. `db` must be a session (one connection).
 */
export const traceMigration = (
  db: DbShape,
  statements: ReadonlyArray<Statement>,
  transactional: boolean,
) =>
  Effect.gen(function* () {
    const start = yield* readCatalog(db)
    const state = newMigrationState(start, transactional)
    const hits: Array<Hit> = []
    if (transactional) yield* db.script("LintBegin", "BEGIN")
    let before = start
    let held: ReadonlyArray<HeldLock> = []
    for (const statement of statements) {
      if (statement.transactionControl) continue
      const run = yield* Effect.result(
        db.script(
          "LintTraceStatement",
          transactional ? `SAVEPOINT coderops_lint; ${statement.text}` : statement.text,
        ),
      )
      let failed: Trace["failed"]
      if (Result.isFailure(run)) {
        failed = failureOf(run.failure)
        if (transactional)
          yield* db.script("LintRollbackStatement", "ROLLBACK TO SAVEPOINT coderops_lint")
      }
      const { locks, catalog: after } = transactional
        ? yield* readLocksAndCatalog(db, before, changesCatalog(statement))
        : { locks: [], catalog: changesCatalog(statement) ? yield* readCatalog(db) : before }
      const trace: Trace = {
        locks: newLocks(held, locks),
        rewritten: rewrittenBetween(before, after),
        failed,
      }
      hits.push(...analyseStatement(statement, state, before, after, trace))
      before = after
      held = locks
    }
    if (transactional) {
      const committed = yield* Effect.exit(db.script("LintCommit", "COMMIT"))
      if (Exit.isFailure(committed)) yield* Effect.ignore(db.script("LintRollback", "ROLLBACK"))
    }
    hits.push(...finishMigration(state))
    return hits
  })
