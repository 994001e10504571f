import type { SqlError } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import { SqlParseError, type Statement, splitStatements } from "./statements.js"

interface Parsed {
  /** Text that does not parse gives none: it never ran, as the server parses it whole first. */
  readonly statements: ReadonlyArray<Statement>
  readonly syntaxError: SqlParseError | undefined
  /** False when the text did not parse (a syntax error, or syntax this parser does not know). */
  readonly readable: boolean
}

// A failure asks several questions of one file (where it failed, whether it commits by
// itself, whether a retry is safe): the last text's parse answers them all.
let lastParsed: { readonly sql: string; readonly parsed: Promise<Parsed> } | undefined

const parse = (sql: string): Promise<Parsed> => {
  if (lastParsed?.sql !== sql) {
    const parsed = splitStatements(sql).then(
      (statements): Parsed => ({ statements, syntaxError: undefined, readable: true }),
      (cause: unknown): Parsed => ({
        statements: [],
        syntaxError: cause instanceof SqlParseError ? cause : undefined,
        readable: false,
      }),
    )
    lastParsed = { sql, parsed }
  }
  return lastParsed.parsed
}

/** A file's statements, as PostgreSQL's parser splits them; none when it does not parse. */
export const statementsOf = (sql: string) =>
  Effect.promise(() => parse(sql).then((parsed) => parsed.statements))

/**
 * Whether `sql` holds its own transaction control; undefined when the parser cannot read
 * it (a newer server's syntax), so a caller that must be sure can assume it may.
 */
export const ownsTransactionsOf = (sql: string) =>
  Effect.promise(() =>
    parse(sql).then((parsed) =>
      parsed.readable ? controlsTransactions(parsed.statements) : undefined,
    ),
  )

/** What PostgreSQL's parser says is wrong with `sql` on its own; undefined when it parses. */
export const syntaxErrorOf = (sql: string) =>
  Effect.promise(() => parse(sql).then((parsed) => parsed.syntaxError))

/** The file ends or opens transactions itself: its own COMMIT may have persisted part of it. */
export const controlsTransactions = (statements: ReadonlyArray<Statement>) =>
  statements.some((statement) => statement.transactionControl)

/** What was sent ahead of a file in the same text: our own lines and statements. */
export interface Preamble {
  readonly lines: number
  readonly statements: number
}

export type Located =
  | { readonly in: "file"; readonly line: number; readonly column: number }
  /** The error came from our statements before or after the file. */
  | { readonly in: "ours" }
  | { readonly in: "unknown" }

/**
 * Where in a file sent inside a larger text an error happened, without running anything
 * again: the server's position when it gives one, else the start of the statement the
 * server was running (the statements it had completed before the error, counted in
 * PostgreSQL's own split of the file). A file the parser cannot read, or an error that
 * is not a statement's (a lost connection), is unknown.
 */
export const locateError = (sql: string, error: SqlError, before: Preamble) =>
  Effect.gen(function* () {
    if ("line" in error && error.line !== undefined) {
      const line = error.line - before.lines
      const lines = sql === "" ? 0 : sql.split("\n").length
      return line >= 1 && line <= lines
        ? ({ in: "file", line, column: error.column ?? 1 } satisfies Located)
        : ({ in: "ours" } satisfies Located)
    }
    if (!("statementIndex" in error) || error.statementIndex === undefined)
      return { in: "unknown" } satisfies Located
    const index = error.statementIndex - before.statements
    if (index < 0) return { in: "ours" } satisfies Located
    const { statements, readable } = yield* Effect.promise(() => parse(sql))
    // The server split a text this parser cannot: say nothing rather than guess.
    if (!readable) return { in: "unknown" } satisfies Located
    const statement = statements[index]
    return statement === undefined
      ? ({ in: "ours" } satisfies Located)
      : ({ in: "file", line: statement.line, column: statement.column } satisfies Located)
  })
