import * as Effect from "effect/Effect"
import { redactedUrlOf } from "./DatabaseConfig.js"
import { Db } from "./Db.js"
import { requireSupportedServer } from "./ServerVersion.js"

export interface TableSize {
  readonly schema: string
  readonly name: string
  /** Planner estimate (reltuples), or the live-tuple count if never analyzed. */
  readonly rowEstimate: number
  /** Table, indexes and TOAST. */
  readonly totalBytes: number
}

export interface MigrationState {
  readonly version: number
  readonly dirty: boolean
}

export interface DatabaseInfo {
  readonly url: string
  readonly source: string
  readonly serverVersion: string
  readonly database: string
  readonly databaseBytes: number
  readonly largestTables: ReadonlyArray<TableSize>
  /** From golang-migrate's `schema_migrations`; undefined when the table or its row is missing. */
  readonly migration: MigrationState | undefined
  readonly looksLikeCoder: boolean
  /** A Coder v1 database (`migration_cursor`): coderops refuses to migrate it. */
  readonly coderV1: boolean
  /** The Coder tables found, the evidence behind `looksLikeCoder`. */
  readonly coderTables: ReadonlyArray<string>
}

/** Tables every Coder v2 database has; all present = "looks like Coder". */
const coderMarkers = [
  "schema_migrations",
  "users",
  "organizations",
  "templates",
  "workspaces",
  "api_keys",
]

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
export const largestTables = Effect.fn("DatabaseInfo.largestTables")(function* (limit: number) {
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
export const tableSizes = Effect.fn("DatabaseInfo.tableSizes")(function* (
  names: ReadonlyArray<string>,
) {
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

/**
 * golang-migrate's state: the single row of `schema_migrations`; undefined when the row
 * is missing. Fails (undefined_table) when the table itself is missing.
 */
export const readMigrationState = Effect.fn("DatabaseInfo.readMigrationState")(function* (
  table = "schema_migrations",
) {
  const db = yield* Db
  // `table` is a plain identifier checked by the caller (SchemaMigrations) or the default.
  const rows = yield* db.query<{ version: string; dirty: boolean }>(
    "GetMigrationVersion",
    `SELECT version, dirty FROM ${table} LIMIT 1`,
  )
  return rows.map((row): MigrationState => ({ version: Number(row.version), dirty: row.dirty }))[0]
})

/** Server, size, largest tables and migration state of the connected database. */
export const inspectDatabase = Effect.fn("DatabaseInfo.inspect")(function* (options?: {
  readonly tableLimit?: number
}) {
  const db = yield* Db
  const version = yield* requireSupportedServer()
  const [size] = yield* db.query<{ name: string; bytes: string }>(
    "GetDatabaseSize",
    "SELECT current_database() AS name, pg_database_size(current_database()) AS bytes",
  )
  const tables = yield* largestTables(options?.tableLimit ?? 10)
  const present = yield* db.query<{ name: string }>(
    "FindCoderTables",
    `SELECT c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])
      ORDER BY c.relname`,
    [[...coderMarkers, "migration_cursor"]],
  )
  const names = new Set(present.map((row) => row.name))
  const migration = names.has("schema_migrations") ? yield* readMigrationState() : undefined
  return {
    url: redactedUrlOf(db.settings),
    source: db.settings.source,
    serverVersion: version.text,
    database: size!.name,
    databaseBytes: Number(size!.bytes),
    largestTables: tables,
    migration,
    looksLikeCoder: coderMarkers.every((name) => names.has(name)),
    coderV1: names.has("migration_cursor"),
    coderTables: [...names].filter((name) => coderMarkers.includes(name)),
  } satisfies DatabaseInfo
})
