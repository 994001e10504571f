import { Db } from "@coderops/db-core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import pg from "pg"
import {
  foreignKeys,
  readCatalog,
  type TableInfo,
  tablesWithParents,
} from "./internal/faithful/catalog.js"
import {
  type ColumnModel,
  type ColumnSource,
  columnModel,
} from "./internal/faithful/columnModel.js"
import { parsePredicate } from "./internal/faithful/predicate.js"
import {
  type CheckedConstraint,
  newOutcome,
  type TableRowsPlan,
  type TrackedUnique,
  tableRowChunks,
} from "./internal/faithful/tableRows.js"
import { supportsType } from "./internal/faithful/values.js"
import type { TableStatistics } from "./TableStatistics.js"

export { tablesWithParents }

export interface FaithfulDataOptions {
  /** The tables to fill; the tables their foreign keys reach are filled too, first. */
  readonly tables: ReadonlyArray<string>
  /** The real database's statistics (`readStatistics`) for those tables and their parents. */
  readonly statistics: ReadonlyArray<TableStatistics>
  /** Rows per table, instead of the statistics' estimate (scaled by neither). */
  readonly rows?: Readonly<Record<string, number>> | undefined
  /** Factor on the estimated row counts; default 1. */
  readonly scale?: number | undefined
  /** Same seed, statistics and options ⇒ the same rows. */
  readonly seed?: number | undefined
  readonly onProgress?: ((table: string, rows: number, seconds: number) => void) | undefined
}

export interface FaithfulColumnReport {
  readonly table: string
  readonly column: string
  readonly source: ColumnSource
  readonly reason?: string | undefined
}

export interface FaithfulTableReport {
  readonly table: string
  /** Rows asked for: the override, the scaled estimate, or 1 for a parent its children need. */
  readonly requested: number
  readonly rowsFrom: "statistics" | "override" | "unknown" | "parent of rows"
  readonly written: number
  /** Rows left out because every draw broke a unique index or a check. */
  readonly skipped: number
  readonly seconds: number
}

export interface FaithfulDataReport {
  readonly tables: ReadonlyArray<FaithfulTableReport>
  readonly columns: ReadonlyArray<FaithfulColumnReport>
  /** Columns whose values did not come from statistics, and why. */
  readonly fallbacks: ReadonlyArray<FaithfulColumnReport>
  /** Checks and partial-index predicates too complex to evaluate (not honoured, or applied to every row). */
  readonly unchecked: ReadonlyArray<{
    readonly table: string
    readonly name: string
    readonly definition: string
  }>
  /** Whether user triggers fired on the loaded rows (skipped where the role may). */
  readonly triggers: "skipped" | "fired"
  readonly seconds: number
}

/** A table to fill is not in the target database. */
export class FaithfulTableMissing extends Data.TaggedError("FaithfulTableMissing")<{
  readonly table: string
  readonly message: string
}> {}

/** A NOT NULL column nothing can fill: no statistics, no generator for its type, no default, or no parent rows. */
export class CannotGenerateColumn extends Data.TaggedError("CannotGenerateColumn")<{
  readonly table: string
  readonly column: string
  readonly message: string
}> {}

/** Rows from which a table loads through two COPY streams. */
const twoStreamsFrom = 200_000

/** Row counts per table: overrides, scaled estimates, raised to 1 for parents of rows. */
const rowCounts = (infos: ReadonlyArray<TableInfo>, options: FaithfulDataOptions) => {
  const counts = new Map<string, { requested: number; from: FaithfulTableReport["rowsFrom"] }>()
  for (const { table } of infos) {
    const override = options.rows?.[table]
    const estimate = options.statistics.find((s) => s.table === table)?.rows ?? null
    counts.set(
      table,
      override !== undefined
        ? { requested: override, from: "override" }
        : estimate === null
          ? { requested: 0, from: "unknown" }
          : { requested: Math.round(estimate * (options.scale ?? 1)), from: "statistics" },
    )
  }
  for (const info of [...infos].reverse())
    for (const key of info.foreignKeys) {
      const parent = counts.get(key.parent)
      if ((counts.get(info.table)?.requested ?? 0) > 0 && parent?.requested === 0)
        counts.set(key.parent, { requested: 1, from: "parent of rows" })
    }
  return counts
}

type ParentValues = Map<string, ReadonlyMap<string, ReadonlyArray<string | null>>>

/** The row plan of one table: column models, uniques to track, checks, columns to keep. */
const planTable = (
  info: TableInfo,
  rows: number,
  options: FaithfulDataOptions,
  parents: ParentValues,
  kept: ReadonlyArray<string>,
  unchecked: Array<{ table: string; name: string; definition: string }>,
) =>
  Effect.gen(function* () {
    const stats = options.statistics.find((s) => s.table === info.table)
    const singleUnique = new Set(
      info.uniques.filter((u) => u.columns.length === 1).map((u) => u.columns[0]!),
    )
    const models: Array<ColumnModel> = []
    for (const column of info.columns.filter((c) => !c.generated)) {
      const key = info.foreignKeys.find(
        (k) => k.columns.includes(column.name) && parents.has(k.parent) && k.parent !== info.table,
      )
      const model = columnModel(column, {
        seed: options.seed ?? 1,
        table: info.table,
        rows,
        stats: stats?.columns[column.name],
        tableReason: stats === undefined ? "no statistics for the table" : undefined,
        unique: singleUnique.has(column.name),
        foreignKey: key && {
          key,
          parent: parents.get(key.parent)!,
          firstStats: stats?.columns[key.columns[0]!],
          notNull: info.columns.some((c) => c.notNull && key.columns.includes(c.name)),
        },
        oneToOne:
          key !== undefined &&
          info.uniques.some(
            (u) =>
              u.columns.length === key.columns.length &&
              key.columns.every((c) => u.columns.includes(c)),
          ),
      })
      const cyclic =
        info.foreignKeys.some((k) => k.columns.includes(column.name)) && key === undefined
      const empty = model.source === "foreign key" && model.reason?.startsWith("no parent row")
      if (
        column.notNull &&
        (cyclic || empty || (model.source === "fallback" && !supportsType(column)))
      )
        return yield* new CannotGenerateColumn({
          table: info.table,
          column: column.name,
          message: `cannot fill ${info.table}.${column.name} (NOT NULL): ${cyclic ? "its foreign key closes a cycle" : empty ? model.reason : `${model.reason}, and type ${column.type} has no generator`}`,
        })
      models.push(
        cyclic
          ? {
              ...model,
              source: "default",
              reason: "foreign key closes a cycle: NULL",
              draw: () => null,
            }
          : model,
      )
    }
    const constructed = new Set(
      models.filter((m) => m.source === "unique").map((m) => m.column.name),
    )
    const uniques: Array<TrackedUnique> = []
    for (const index of info.uniques) {
      if (index.columns.some((c) => constructed.has(c))) continue
      const predicate = index.predicate === null ? undefined : parsePredicate(index.predicate)
      if (index.predicate !== null && predicate === undefined)
        unchecked.push({
          table: info.table,
          name: index.name,
          definition: `WHERE ${index.predicate}`,
        })
      uniques.push({
        name: index.name,
        columns: index.columns,
        applies: predicate?.test,
        seen: new Set(),
      })
    }
    const checks: Array<CheckedConstraint> = []
    for (const check of info.checks) {
      const parsed = parsePredicate(check.definition)
      if (parsed === undefined) unchecked.push({ table: info.table, ...check })
      else checks.push({ name: check.name, test: parsed.test, columns: parsed.columns })
    }
    return { models, uniques, checks, kept } satisfies TableRowsPlan
  })

/**
 * Loads one table's rows with COPY, committed before its children load. One generator
 * makes every row, in order (so the rows, and the unique keys it tracks, are the same
 * every time); a big table's chunks go to two COPY streams, whichever asks first: one
 * server backend is CPU-bound on a big table (see seedDeployment).
 */
const loadTable = Effect.fn("FaithfulData.loadTable")(function* (
  table: string,
  plan: TableRowsPlan,
  rows: number,
  skipTriggers: boolean,
) {
  const db = yield* Db
  const outcome = newOutcome(plan)
  const chunks = tableRowChunks(plan, 0, rows, outcome)
  const shared: Iterable<Buffer> = { [Symbol.iterator]: () => ({ next: () => chunks.next() }) }
  const list = plan.models.filter((m) => !m.omit).map((m) => pg.escapeIdentifier(m.column.name))
  const text = `COPY ${pg.escapeIdentifier(table)} (${list.join(", ")}) FROM STDIN`
  yield* Effect.forEach(
    Array.from({ length: rows >= twoStreamsFrom ? 2 : 1 }),
    () =>
      db.transaction(
        "LoadFaithfulRows",
        db.copyFrom("CopyFaithfulRows", text, shared),
        skipTriggers ? { settings: { session_replication_role: "replica" } } : undefined,
      ),
    { concurrency: "unbounded" },
  )
  return outcome
})

/** Whether this session may skip user triggers (session_replication_role needs the right). */
const canSkipTriggers = Effect.fn("FaithfulData.canSkipTriggers")(function* () {
  const db = yield* Db
  return yield* Effect.match(
    db.transaction("ProbeSkipTriggers", Effect.void, {
      settings: { session_replication_role: "replica" },
    }),
    { onFailure: () => false, onSuccess: () => true },
  )
})

/**
 * Fills the tables (and the tables their foreign keys need, parents first) of the
 * database `Db` points at — a scratch database at the real one's schema version — with rows
 * shaped by the real database's statistics: row counts from reltuples (or `rows`, times
 * `scale`), and per column the null fraction, the most common values at their frequencies,
 * the rest spread over the histogram, about n_distinct distinct values. Keys, unique
 * indexes, enums and simple checks hold; foreign keys draw from the generated parents.
 * Columns without statistics get values by type, and the report says which and why. Each
 * table loads with COPY and commits before its children. User triggers are skipped where
 * the role may (their side effects are not the statistics' shape, and Coder's refuse some
 * rows the statistics allow), fired otherwise.
 */
export const generateFaithfulData = Effect.fn("FaithfulData.generate")(function* (
  options: FaithfulDataOptions,
) {
  const db = yield* Db
  const started = performance.now()
  const keys = yield* foreignKeys()
  const ordered = yield* tablesWithParents(options.tables, keys)
  const infos = yield* readCatalog(ordered, keys)
  const absent = infos.find((info) => info.columns.length === 0)
  if (absent !== undefined)
    return yield* new FaithfulTableMissing({
      table: absent.table,
      message: `table ${absent.table} is not in the database ${db.settings.database}`,
    })
  const counts = rowCounts(infos, options)
  const skipTriggers = yield* canSkipTriggers()
  const parents: ParentValues = new Map()
  const tables: Array<FaithfulTableReport> = []
  const columns: Array<FaithfulColumnReport> = []
  const unchecked: Array<{ table: string; name: string; definition: string }> = []
  for (const info of infos) {
    const tableStarted = performance.now()
    const { requested, from } = counts.get(info.table)!
    const kept = [
      ...new Set(
        infos.flatMap((child) =>
          child.foreignKeys.filter((k) => k.parent === info.table).flatMap((k) => k.parentColumns),
        ),
      ),
    ]
    const plan = yield* planTable(info, requested, options, parents, kept, unchecked)
    for (const model of plan.models)
      columns.push({
        table: info.table,
        column: model.column.name,
        source: model.source,
        reason: model.reason,
      })
    const outcome = yield* loadTable(info.table, plan, requested, skipTriggers)
    parents.set(info.table, outcome.kept)
    const written = outcome.written
    const seconds = (performance.now() - tableStarted) / 1000
    options.onProgress?.(info.table, written, seconds)
    tables.push({
      table: info.table,
      requested,
      rowsFrom: from,
      written,
      skipped: outcome.skipped,
      seconds,
    })
  }
  return {
    tables,
    columns,
    fallbacks: columns.filter(
      (c) => c.source === "fallback" || c.source === "default" || c.reason !== undefined,
    ),
    unchecked,
    triggers: skipTriggers ? "skipped" : "fired",
    seconds: (performance.now() - started) / 1000,
  } satisfies FaithfulDataReport
})
