import type { Severity, Work } from "./Rules.js"

/** The size of a table in the real database, and what the finding's work would cost on it. */
export interface FindingSize {
  /** Planner estimate (pg_class.reltuples). */
  readonly rows: number
  /** pg_total_relation_size: table, indexes and TOAST. */
  readonly bytes: number
  /** Estimated seconds the lock is held for this work (cost model), or undefined. */
  readonly lockSeconds: number | undefined
  /** Range of the estimate: lockSeconds divided and multiplied by the model's uncertainty. */
  readonly lockSecondsRange: readonly [number, number] | undefined
}

export interface Finding {
  readonly rule: string
  readonly severity: Severity
  readonly version: number
  /** Absolute path of the migration file. */
  readonly file: string
  readonly line: number
  readonly column: number
  /** The table the finding is about, when there is one. */
  readonly table: string | undefined
  /** One line naming the table (and its rows once sized). */
  readonly message: string
  readonly why: string
  readonly instead: string
  /** The locks the statement took on the scratch schema (mode by relation), when traced. */
  readonly locks: ReadonlyArray<{ readonly relation: string; readonly mode: string }>
  readonly work: Work | undefined
  /** How many full passes of `work` the finding stands for (a table rewritten twice: 2). */
  readonly passes: number
  readonly size: FindingSize | undefined
  /** Expired API keys a purge (7 days retention) would remove, for the purge findings. */
  readonly purgeableRows: number | undefined
  /** The reason of the coderops-lint-ignore comment that silences the finding. */
  readonly ignored: string | undefined
}

export interface MigrationLint {
  readonly version: number
  readonly name: string
  readonly file: string
  readonly statements: number
  readonly findings: ReadonlyArray<Finding>
}

export interface LintReport {
  /** The database's version (undefined: none, or no database given). */
  readonly databaseVersion: number | undefined
  /** Whether findings carry sizes from a real database. */
  readonly sized: boolean
  readonly migrations: ReadonlyArray<MigrationLint>
  /** Findings not silenced, in migration and position order. */
  readonly findings: ReadonlyArray<Finding>
  /** Findings silenced by a coderops-lint-ignore comment. */
  readonly ignored: ReadonlyArray<Finding>
  readonly counts: { readonly error: number; readonly warning: number; readonly note: number }
  readonly timings: {
    /** Building the scratch schema up to the first linted migration. */
    readonly scratchSeconds: number
    /** Tracing and analysing the linted migrations. */
    readonly lintSeconds: number
    readonly totalSeconds: number
  }
}
