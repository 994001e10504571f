import { type SqlError, SqlSyntaxError } from "@coderops/db-core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { type FailureOutcome, type FailureReason, MigrationFailed } from "../MigrationErrors.js"
import type { MigrationPlan, PlannedStep } from "../MigrationPlan.js"
import type { MigrationFile } from "../MigrationSource.js"
import { printable } from "../printable.js"
import type { BlockingSession } from "./blockingSessions.js"
import {
  controlsTransactions,
  locateError,
  type Preamble,
  statementsOf,
  syntaxErrorOf,
} from "./locateFailure.js"

/** A statement of a migration or of one of its fixtures failed. */
export class FileFailed extends Data.TaggedError("FileFailed")<{
  readonly file: MigrationFile
  readonly kind: "migration" | "fixture"
  readonly cause: SqlError
  /** Where in the file the failing statement is, when known. */
  readonly line: number | undefined
  readonly column: number | undefined
}> {}

/** What a step can fail with before it becomes MigrationFailed: a file, or our own statements. */
export type StepError = FileFailed | SqlError

export const sqlErrorOf = (error: StepError): SqlError =>
  error._tag === "FileFailed" ? error.cause : error

/** Coder retries a migration on lock_not_available and deadlocks only. */
export const isLockConflict = (error: SqlError) =>
  error._tag === "LockNotAvailable" || error._tag === "DeadlockDetected"

/** A file run on its own failed: where in it, found without running anything again. */
export const fileFailure = (
  file: MigrationFile,
  kind: FileFailed["kind"],
  cause: SqlError,
): Effect.Effect<never, FileFailed> =>
  Effect.flatMap(locateError(file.sql, cause, { lines: 0, statements: 0 }), (located) =>
    Effect.fail(
      new FileFailed({
        file,
        kind,
        cause,
        line: located.in === "file" ? located.line : undefined,
        column: located.in === "file" ? located.column : undefined,
      }),
    ),
  )

/** Maps an error of a message back to the file, or to our own statements around it. */
export const messageFailure = (file: MigrationFile, error: SqlError, before: Preamble) =>
  Effect.gen(function* () {
    const failed = (
      cause: SqlError,
      at: { readonly line: number | undefined; readonly column: number | undefined },
    ): StepError => new FileFailed({ file, kind: "migration", cause, ...at })
    const located = yield* locateError(file.empty ? "" : file.sql, error, before)
    const inFile = located.in === "file"
    if (error._tag === "SqlSyntaxError" && error.line !== undefined) {
      const line = error.line - before.lines
      const column = error.column
      // A file that ends inside a string or a comment: the server's message quotes our
      // text after it, or points past the file. The parser, on the file alone, says what
      // is unfinished and where, as the server would have. When it finds a different
      // place (a newer server's syntax), the server is right.
      const alone = yield* syntaxErrorOf(file.sql)
      if (alone !== undefined && (!inFile || (alone.line === line && alone.column === column)))
        return failed(
          new SqlSyntaxError({
            query: error.query,
            sqlState: error.sqlState,
            message: alone.message,
            line: alone.line,
            column: alone.column,
          }),
          alone,
        )
    }
    return located.in === "file"
      ? failed(error, { line: located.line, column: located.column })
      : located.in === "unknown"
        ? failed(error, { line: undefined, column: undefined })
        : error
  })

/** Why it failed, as far as what to do next depends on it. */
const reasonOf = (error: SqlError): FailureReason => {
  switch (error._tag) {
    case "LockNotAvailable":
    case "DeadlockDetected":
      return "lock-conflict"
    case "ConnectionFailed":
      return "connection-lost"
    case "QueryCanceled":
      return error.reason === "statement_timeout"
        ? "statement-timeout"
        : // node-postgres refuses a COPY FROM STDIN it has no data for; so does golang-migrate.
          error.message.startsWith("COPY from stdin failed")
          ? "copy-from-stdin"
          : "canceled"
    default:
      return "sql"
  }
}

export interface Attempt {
  readonly tried: number
  /** The migration ran outside a transaction: the database is dirty. */
  readonly dirty: boolean
  /** Every pending migration ran in one transaction. */
  readonly wholeRun?: boolean
  /** The sessions last seen blocking it, for a lock conflict. */
  readonly blockedBy?: ReadonlyArray<BlockingSession>
}

/** Turns the error of a failed step into MigrationFailed: file, line, column, and the facts. */
export const migrationFailed = (
  plan: MigrationPlan,
  step: PlannedStep,
  migrationFile: MigrationFile,
  failed: StepError,
  attempt: Attempt,
) =>
  Effect.gen(function* () {
    const error = sqlErrorOf(failed)
    const kind = failed._tag === "FileFailed" ? failed.kind : "migration"
    const file = failed._tag === "FileFailed" ? failed.file : migrationFile
    const where =
      failed._tag === "FileFailed" && failed.line !== undefined
        ? { line: failed.line, column: failed.column }
        : undefined
    // Never found by running the file again: its side effects (nextval, COPY TO
    // PROGRAM, dblink) would happen twice.
    const statements =
      failed._tag === "FileFailed" && !attempt.dirty ? yield* statementsOf(file.sql) : []
    // A file's own COMMIT persists what ran before it, whatever our transaction does.
    const committedItself = !attempt.dirty && controlsTransactions(statements)
    const outcome: FailureOutcome = attempt.dirty
      ? "dirty"
      : committedItself
        ? "committed-part"
        : attempt.wholeRun
          ? "run-rolled-back"
          : error._tag === "ConnectionFailed"
            ? "unconfirmed"
            : "rolled-back"
    const at =
      where === undefined
        ? failed._tag === "FileFailed" && "sqlState" in error
          ? " (the failing line is unknown)"
          : ""
        : `:${where.line}:${where.column}`
    const sqlState = "sqlState" in error ? error.sqlState : undefined
    const what =
      kind === "fixture"
        ? `fixture ${printable(file.name)} of migration ${printable(migrationFile.name)}`
        : `migration ${printable(file.name)}`
    const up = step.direction === "up"
    return new MigrationFailed({
      version: step.version,
      direction: step.direction,
      file: file.path,
      kind,
      line: where?.line,
      column: where?.column,
      sqlState,
      cause: error,
      attempts: attempt.tried,
      dirty: attempt.dirty,
      outcome,
      reason: reasonOf(error),
      versionIfCompleted: up ? step.version : step.resultingVersion,
      versionIfNotCompleted: up ? plan.previousOf(step.version) : step.version,
      unflushedVersions: [],
      blockedBy: isLockConflict(error) ? (attempt.blockedBy ?? []) : [],
      message: `${what} failed at ${printable(file.path)}${at}: ${error.message}${sqlState ? ` (SQLSTATE ${sqlState})` : ""}${attempt.tried > 1 ? ` after ${attempt.tried} attempts` : ""}`,
    })
  })
