import * as Effect from "effect/Effect"
import { Db } from "./Db.js"

export interface TableSize {
  readonly schema: string
  readonly name: string
  /** Planner estimate (reltuples), or the live-tuple count if never analyzed. */
  readonly rowEstimate: number
  /** Table, indexes and TOAST. */
  readonly totalBytes: number
}

const tableSizeColumns = `n.nspname AS schema, c.relname AS name,
  CASE WHEN c.reltuples < 0 THEN coalesce(s.n_live_tup, 0) ELSE c.reltuples END::bigint AS rows,
  pg_total_relation_size(c.oid) AS bytes
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid`

const toTableSize = (row: {
  schema: string
  name: string
  rows: string
  bytes: string
}): TableSize => ({
  schema: row.schema,
  name: row.name,
  rowEstimate: Number(row.rows),
  totalBytes: Number(row.bytes),
})

/** The largest user tables by total size (table, indexes, TOAST), from the catalog: no scans. */
export const largestTables = Effect.fn("TableSizes.largest")(function* (limit: number) {
  const db = yield* Db
  const rows = yield* db.query<{ schema: string; name: string; rows: string; bytes: string }>(
    "ListLargestTables",
    `SELECT ${tableSizeColumns}
      WHERE c.relkind IN ('r', 'p', 'm')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY pg_total_relation_size(c.oid) DESC, n.nspname, c.relname
      LIMIT $1`,
    [limit],
  )
  return rows.map(toTableSize)
})

/** Size and row estimate of named tables in the current schema; missing ones are left out. */
export const tableSizes = Effect.fn("TableSizes.named")(function* (names: ReadonlyArray<string>) {
  const db = yield* Db
  const rows = yield* db.query<{ schema: string; name: string; rows: string; bytes: string }>(
    "GetTableSizes",
    `SELECT ${tableSizeColumns}
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])
      ORDER BY c.relname`,
    [names],
  )
  return rows.map(toTableSize)
})
