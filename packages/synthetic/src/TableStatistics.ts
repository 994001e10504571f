import { Db } from "@coderops/db-core"
import * as Effect from "effect/Effect"

/** What ANALYZE knows of one column (pg_stats), values as text. */
export interface ColumnStatistics {
  /** Fraction of rows that are NULL. */
  readonly nullFrac: number
  /** Distinct values: a count when positive, minus the fraction of rows when negative. */
  readonly nDistinct: number
  /** Average width in bytes of the non-null values. */
  readonly avgWidth: number
  readonly mostCommonValues: ReadonlyArray<string>
  /** The fraction of all rows each most common value makes up. */
  readonly mostCommonFreqs: ReadonlyArray<number>
  /** Bounds of equal-population buckets of the other values, in order. */
  readonly histogramBounds: ReadonlyArray<string>
}

/** A table's row count estimate and its columns' statistics. */
export interface TableStatistics {
  readonly table: string
  /** pg_class.reltuples; null when the table was never analyzed nor vacuumed. */
  readonly rows: number | null
  /** By column name; a column ANALYZE skipped (or never saw) is absent. */
  readonly columns: Readonly<Record<string, ColumnStatistics>>
}

interface StatsRow {
  readonly table: string
  readonly column: string
  readonly null_frac: number
  readonly n_distinct: number
  readonly avg_width: number
  readonly mcv: ReadonlyArray<string> | null
  readonly mcf: ReadonlyArray<number> | null
  readonly histogram: ReadonlyArray<string> | null
}

/**
 * The planner statistics of the tables (of the current schema): row estimates from
 * pg_class and per-column distributions from pg_stats. Nothing but statistics is read, so
 * no row of the database leaves it. Values are rendered in UTC and ISO dates, so that
 * times read here are the same wherever they are used.
 */
export const readStatistics = Effect.fn("TableStatistics.read")(function* (
  tables: ReadonlyArray<string>,
) {
  const db = yield* Db
  return yield* db.transaction(
    "ReadTableStatistics",
    Effect.gen(function* () {
      const counts = yield* db.query<{ table: string; rows: number; analyzed: boolean }>(
        "GetTableRowEstimates",
        `SELECT c.relname::text AS "table", c.reltuples::float8 AS rows, c.reltuples >= 0 AS analyzed
           FROM pg_class c
          WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1::text[])
            AND c.relkind IN ('r', 'p')`,
        [tables],
      )
      // anyarray has no cast to text[] but through text: each element's own text form.
      const stats = yield* db.query<StatsRow>(
        "GetColumnStatistics",
        `SELECT s.tablename::text AS "table", s.attname::text AS "column", s.null_frac::float8 AS null_frac,
                s.n_distinct::float8 AS n_distinct, s.avg_width,
                s.most_common_vals::text::text[] AS mcv, s.most_common_freqs::float8[] AS mcf,
                s.histogram_bounds::text::text[] AS histogram
           FROM pg_stats s
          WHERE s.schemaname = current_schema() AND s.tablename = ANY($1::text[]) AND NOT s.inherited`,
        [tables],
      )
      return tables.map((table): TableStatistics => {
        const count = counts.find((row) => row.table === table)
        const columns: Record<string, ColumnStatistics> = {}
        for (const row of stats)
          if (row.table === table)
            columns[row.column] = {
              nullFrac: row.null_frac,
              nDistinct: row.n_distinct,
              avgWidth: row.avg_width,
              mostCommonValues: row.mcv ?? [],
              mostCommonFreqs: row.mcf ?? [],
              histogramBounds: row.histogram ?? [],
            }
        return { table, rows: count?.analyzed ? count.rows : null, columns }
      })
    }),
    { readOnly: true, settings: { timezone: "UTC", datestyle: "ISO" } },
  )
})
