import {
  type Migration,
  type MigrationFile,
  queryLine,
  type Statement,
  splitStatements,
} from "@coderops/migrations"
import * as Effect from "effect/Effect"
import { lockLevel, targetLockOf } from "./internal/lockModes.js"
import type { Session } from "./MigrationActivity.js"

/** How the running statement was told from the others of its file. */
export type StatementBasis =
  /** The first statement on the table whose lock the session waits for that lacks it. */
  | "waits-for-its-lock"
  /** The last statement whose lock on its table the session holds. */
  | "holds-its-locks"

export interface RunningStatement {
  /** 1-based position in its file, of `count`. */
  readonly index: number
  readonly count: number
  readonly line: number
  /** The statement's first line, cut to 120 characters. */
  readonly text: string
  readonly basis: StatementBasis
}

export interface RunningMigration {
  readonly version: number
  /** The up file's name. */
  readonly file: string
  /** 1-based position among the pending migrations, of `pendingCount`. */
  readonly pendingIndex: number
  readonly pendingCount: number
  /** Which statement of the file runs; undefined when the locks do not tell. */
  readonly statement: RunningStatement | undefined
}

const normalize = (text: string) => text.replace(/\s+/g, " ").trim()

// A watch reads every `interval` for as long as a migration runs: each file is normalized
// and parsed once, not at every reading.
const normalized = new WeakMap<MigrationFile, string>()
const parsed = new WeakMap<MigrationFile, Promise<ReadonlyArray<Statement>>>()
const normalizedText = (file: MigrationFile) => {
  let text = normalized.get(file)
  if (text === undefined) {
    text = normalize(file.sql)
    normalized.set(file, text)
  }
  return text
}
const statementsOf = (file: MigrationFile) => {
  let statements = parsed.get(file)
  if (statements === undefined) {
    // A file the parser cannot read still names the migration, without its statement.
    statements = splitStatements(file.sql).catch((): ReadonlyArray<Statement> => [])
    parsed.set(file, statements)
  }
  return statements
}

/**
 * How many leading characters of `file` occur in `query`. The server cuts a session's
 * query text at track_activity_query_size (1 kB by default) and coderops sends its BEGIN
 * and settings before the file, so the file's beginning is what can be matched.
 */
const matchedPrefix = (query: string, file: string): number => {
  let low = 0
  let high = file.length
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (query.includes(file.slice(0, middle))) low = middle
    else high = middle - 1
  }
  return low
}

// Enough of a file to tell it from another: shorter files must match whole.
const minimumMatch = 40

const bareName = (relation: string) =>
  relation
    .split(".")
    .at(-1)!
    .replace(/^"(.*)"$/, "$1")

/** The strongest lock the session holds on each table, by bare name. */
const heldLevels = (session: Session): Map<string, number> => {
  const levels = new Map<string, number>()
  for (const lock of session.heldLocks) {
    const name = bareName(lock.relation)
    levels.set(name, Math.max(levels.get(name) ?? -1, lockLevel(lock.mode)))
  }
  return levels
}

const creates = new Set(["CreateStmt", "CreateTableAsStmt", "ViewStmt"])

/**
 * Whether the locks held already cover what the statement takes on its target. A table
 * the file created earlier counts as held: the session never waits for its own new table,
 * and other sessions cannot see that table (or its locks' names) until the commit.
 */
const coveredAt = (statements: ReadonlyArray<Statement>, held: Map<string, number>) => {
  const created = new Set<string>()
  return statements.map((statement) => {
    const target = targetLockOf(statement)
    const result =
      target === undefined
        ? undefined
        : created.has(bareName(target.relation)) ||
          (held.get(bareName(target.relation)) ?? -1) >= target.level
    if (creates.has(statement.kind) && statement.relations[0] !== undefined) {
      created.add(bareName(statement.relations[0]))
    }
    return result
  })
}

const runningStatement = (
  statements: ReadonlyArray<Statement>,
  session: Session,
): RunningStatement | undefined => {
  const describe = (position: number, basis: StatementBasis): RunningStatement => {
    const statement = statements[position]!
    return {
      index: position + 1,
      count: statements.length,
      line: statement.line,
      text: queryLine(statement.text),
      basis,
    }
  }
  const covered = coveredAt(statements, heldLevels(session))
  const awaited = session.waitingFor.flatMap((lock) =>
    lock.relation === undefined ? [] : [bareName(lock.relation)],
  )
  if (awaited.length > 0) {
    // The first statement on that table whose lock is not held yet is the one waiting.
    const position = statements.findIndex(
      (statement, index) =>
        statement.relations.some((name) => awaited.includes(bareName(name))) &&
        covered[index] === false,
    )
    if (position >= 0) return describe(position, "waits-for-its-lock")
  }
  // A running statement has its locks: the last one whose lock is held.
  for (let position = statements.length - 1; position >= 0; position--) {
    if (covered[position] === true) return describe(position, "holds-its-locks")
  }
  return undefined
}

/**
 * Which pending migration the migrating session runs, matched by its query text against
 * the files (older coderd runs every pending migration in one transaction, so the state
 * table does not move until the end), and which statement of it, from its locks.
 */
export const locateRunningMigration = Effect.fn("RunningMigration.locate")(function* (
  session: Session,
  pending: ReadonlyArray<Migration>,
) {
  const query = normalize(session.query)
  let best: { migration: Migration; position: number; score: number } | undefined
  for (const [position, migration] of pending.entries()) {
    if (migration.up.empty) continue
    const file = normalizedText(migration.up)
    const score = matchedPrefix(query, file)
    if (score < Math.min(minimumMatch, file.length)) continue
    if (best === undefined || score > best.score) best = { migration, position, score }
  }
  if (best === undefined) return undefined
  const { migration, position } = best
  const statements = yield* Effect.promise(() => statementsOf(migration.up))
  return {
    version: migration.version,
    file: migration.up.name,
    pendingIndex: position + 1,
    pendingCount: pending.length,
    statement: runningStatement(statements, session),
  } satisfies RunningMigration
})
