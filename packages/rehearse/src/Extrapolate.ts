import { type Fit, fitCost, type Point } from "./Fit.js"
import type { ScaleRun } from "./Rehearsal.js"

/** A statement's cost, fitted against the rows of the table it works on. */
export interface StatementEstimate {
  readonly index: number
  readonly line: number
  readonly text: string
  /** The table whose rows the cost is fitted against. */
  readonly table: string | undefined
  readonly locks: ReadonlyArray<{ readonly relation: string; readonly mode: string }>
  readonly rewritten: ReadonlyArray<string>
  readonly fit: Fit
  /** Measured at 100%, when the rehearsal ran there. */
  readonly measuredFull: number | undefined
}

/** How long coderd's queries on a table wait during one migration, extrapolated. */
export interface BlockingEstimate {
  readonly table: string
  readonly blocked: Fit
  readonly longest: Fit
  readonly measuredFull: number | undefined
}

export interface Estimate {
  readonly version: number
  readonly name: string
  /** The table with the most rows the migration touches: its rows are the x of the whole. */
  readonly table: string | undefined
  readonly seconds: Fit
  readonly measuredFullSeconds: number | undefined
  readonly statements: ReadonlyArray<StatementEstimate>
  readonly blocking: ReadonlyArray<BlockingEstimate>
}

const rowsAt = (run: ScaleRun, table: string | undefined) =>
  table === undefined ? run.scale : (run.rows[table] ?? 0)

/**
 * Fits every statement's duration, every migration's, and every table's blocked time
 * against rows over the runs at `fitScales`, extrapolated to `realRows`; a run at 100%
 * is kept aside as the check of the extrapolation. Without fractions, the run at 100% is
 * the estimate: measured, not extrapolated.
 */
export const extrapolate = (
  runs: ReadonlyArray<ScaleRun>,
  realRows: Readonly<Record<string, number>>,
  fitScales: ReadonlyArray<number>,
): ReadonlyArray<Estimate> => {
  const full = runs.find((r) => r.scale === 1)
  const fractions = runs.filter((r) => fitScales.includes(r.scale))
  const fitted = fractions.length === 0 && full !== undefined ? [full] : fractions
  const first = runs[0]
  if (first === undefined) return []
  const target = (table: string | undefined) => (table === undefined ? 1 : (realRows[table] ?? 0))
  return first.migrations.map((migration, m) => {
    const touched = [
      ...new Set(
        migration.statements.flatMap((s) => s.relations.map((r) => r.replace(/^public\./, ""))),
      ),
    ].filter((t) => realRows[t] !== undefined)
    const largest = touched.sort((a, b) => (realRows[b] ?? 0) - (realRows[a] ?? 0))[0]
    const points = (pick: (run: ScaleRun) => number | undefined, table: string | undefined) =>
      fitted.flatMap((run): ReadonlyArray<Point> => {
        const seconds = pick(run)
        return seconds === undefined ? [] : [{ rows: rowsAt(run, table), seconds }]
      })
    const statements = migration.statements.map((statement): StatementEstimate => {
      const table =
        statement.relations
          .map((r) => r.replace(/^public\./, ""))
          .find((t) => realRows[t] !== undefined) ?? largest
      const at = (run: ScaleRun) => run.migrations[m]?.statements[statement.index]?.seconds
      return {
        index: statement.index,
        line: statement.line,
        text: statement.text,
        table,
        locks: statement.locks,
        rewritten: statement.rewritten,
        fit: fitCost(points(at, table), target(table)),
        measuredFull: full === undefined ? undefined : at(full),
      }
    })
    const blocking = migration.blocking.map((b): BlockingEstimate => {
      const of = (run: ScaleRun) => run.migrations[m]?.blocking.find((x) => x.table === b.table)
      return {
        table: b.table,
        blocked: fitCost(
          points((run) => of(run)?.blockedSeconds, b.table),
          target(b.table),
        ),
        longest: fitCost(
          points((run) => of(run)?.longestSeconds, b.table),
          target(b.table),
        ),
        measuredFull: full === undefined ? undefined : of(full)?.blockedSeconds,
      }
    })
    return {
      version: migration.version,
      name: migration.name,
      table: largest,
      seconds: fitCost(
        points((run) => run.migrations[m]?.seconds, largest),
        target(largest),
      ),
      measuredFullSeconds: full?.migrations[m]?.seconds,
      statements,
      blocking,
    }
  })
}
