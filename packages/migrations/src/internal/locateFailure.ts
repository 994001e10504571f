import { Db } from "@coderops/db-core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { SqlParseError, type Statement, splitStatements } from "./statements.js"

class Located extends Data.TaggedError("Located")<{
  readonly line: number
  readonly column: number
}> {}

interface Parsed {
  /** Text that does not parse gives none: it never ran, as the server parses it whole first. */
  readonly statements: ReadonlyArray<Statement>
  readonly syntaxError: SqlParseError | undefined
}

// A failure asks several questions of one file (where it failed, whether it commits by
// itself, whether a retry is safe): the last text's parse answers them all.
let lastParsed: { readonly sql: string; readonly parsed: Promise<Parsed> } | undefined

const parse = (sql: string): Promise<Parsed> => {
  if (lastParsed?.sql !== sql) {
    const parsed = splitStatements(sql).then(
      (statements): Parsed => ({ statements, syntaxError: undefined }),
      (cause: unknown): Parsed => ({
        statements: [],
        syntaxError: cause instanceof SqlParseError ? cause : undefined,
      }),
    )
    lastParsed = { sql, parsed }
  }
  return lastParsed.parsed
}

/** A failed file's statements, as PostgreSQL's parser splits them. */
export const statementsOf = (sql: string) =>
  Effect.promise(() => parse(sql).then((parsed) => parsed.statements))

/** What PostgreSQL's parser says is wrong with `sql` on its own; undefined when it parses. */
export const syntaxErrorOf = (sql: string) =>
  Effect.promise(() => parse(sql).then((parsed) => parsed.syntaxError))

/** The file ends or opens transactions itself: its own COMMIT may have persisted part of it. */
export const controlsTransactions = (statements: ReadonlyArray<Statement>) =>
  statements.some((statement) => statement.transactionControl)

/**
 * PostgreSQL does not say which statement of a multi-statement query failed unless the
 * error has a position. This replays the migration statement by statement inside a
 * transaction that is always rolled back, and returns where the first failure is.
 * Only for migrations that ran in a transaction (nothing of them persisted), and never
 * for a file with its own BEGIN/COMMIT: its COMMIT would end the replay's transaction
 * and persist what follows.
 */
export const locateFailure = (statements: ReadonlyArray<Statement>) =>
  Effect.gen(function* () {
    const db = yield* Db
    if (controlsTransactions(statements)) return undefined
    if (statements.length < 2)
      return statements[0] ? { line: statements[0].line, column: statements[0].column } : undefined
    const outcome = yield* Effect.flip(
      db.transaction(
        "LocateMigrationFailure",
        Effect.gen(function* () {
          // The replay must never wait on locks or run long: it only looks for the failure.
          yield* db.script(
            "LimitReplay",
            "SET LOCAL lock_timeout = '1s'; SET LOCAL statement_timeout = '30s'",
          )
          for (const statement of statements) {
            const failed = yield* Effect.result(
              db.script("ReplayMigrationStatement", statement.text),
            )
            if (failed._tag === "Failure") {
              return yield* new Located({ line: statement.line, column: statement.column })
            }
          }
          // Everything passed on replay (e.g. a lock conflict that went away): roll back anyway.
          return yield* new Located({ line: 0, column: 0 })
        }),
      ),
    )
    return outcome._tag === "Located" && outcome.line > 0
      ? { line: outcome.line, column: outcome.column }
      : undefined
  })
