import { Db, largestTables, readMigrationState, tableSizes } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import type { Collector } from "./Exporter.js"
import { Metrics } from "./Metrics.js"

/** golang-migrate's version and dirty flag; version -1 when the table has no row. */
export const migrationStateCollector: Collector = {
  name: "schema_migrations",
  collect: Effect.gen(function* () {
    const metrics = yield* Metrics
    const state = yield* readMigrationState()
    metrics
      .gauge({
        name: "coderops_schema_migrations_version",
        help: "Version in schema_migrations (golang-migrate); -1 when the table has no row.",
      })
      .set({}, state?.version ?? -1)
    metrics
      .gauge({
        name: "coderops_schema_migrations_dirty",
        help: "1 when schema_migrations is dirty: a migration failed part-way and needs a human.",
      })
      .set({}, state?.dirty ? 1 : 0)
  }),
}

/** Size and estimated rows of the largest tables, and always of api_keys. */
export const tableSizesCollector = (options?: { readonly limit?: number }): Collector => ({
  name: "table_sizes",
  collect: Effect.gen(function* () {
    const metrics = yield* Metrics
    const largest = yield* largestTables(options?.limit ?? 10)
    const always = yield* tableSizes(["api_keys"])
    const bytes = metrics.gauge({
      name: "coderops_table_size_bytes",
      help: "Total size of a table with its indexes and TOAST, in bytes (largest tables and api_keys).",
      labelNames: ["table"],
    })
    const rows = metrics.gauge({
      name: "coderops_table_rows_estimate",
      help: "Planner estimate of a table's rows (reltuples), for the largest tables and api_keys.",
      labelNames: ["table"],
    })
    // Only the current top tables are reported: a table that dropped out disappears.
    bytes.reset()
    rows.reset()
    for (const table of [...largest, ...always]) {
      const name = table.schema === "public" ? table.name : `${table.schema}.${table.name}`
      bytes.set({ table: name }, table.totalBytes)
      rows.set({ table: name }, table.rowEstimate)
    }
  }),
})

/**
 * The planner's estimate of API keys expired for more than 7 days: what Coder's 000371 used
 * to carry along, and what a purge before the upgrade removes. EXPLAIN reads statistics
 * only: api_keys has no index on expires_at, and counting would scan the table.
 */
export const expiredApiKeysCollector: Collector = {
  name: "api_keys_expired",
  collect: Effect.gen(function* () {
    const db = yield* Db
    const metrics = yield* Metrics
    const [plan] = yield* db.query<{ "QUERY PLAN": Array<{ Plan: { "Plan Rows": number } }> }>(
      "EstimateExpiredApiKeys",
      "EXPLAIN (FORMAT JSON) SELECT 1 FROM api_keys WHERE expires_at < now() - interval '7 days'",
    )
    metrics
      .gauge({
        name: "coderops_api_keys_expired_7d_estimate",
        help: "Planner estimate of api_keys rows expired for more than 7 days (from statistics; no scan).",
      })
      .set({}, plan?.["QUERY PLAN"][0]?.Plan["Plan Rows"] ?? 0)
  }),
}

const connectionStates = [
  "active",
  "idle",
  "idle in transaction",
  "idle in transaction (aborted)",
  "fastpath function call",
  "disabled",
]

/** Client connections to this database by state, and the age of the oldest open transaction. */
export const connectionsCollector: Collector = {
  name: "connections",
  collect: Effect.gen(function* () {
    const db = yield* Db
    const metrics = yield* Metrics
    const rows = yield* db.query<{ state: string; n: number; oldest: number }>(
      "GetConnectionStates",
      `SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n,
              coalesce(max(extract(epoch FROM now() - xact_start)) FILTER (WHERE pid <> pg_backend_pid()), 0)::float8 AS oldest
         FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend'
        GROUP BY 1`,
    )
    const connections = metrics.gauge({
      name: "coderops_pg_connections",
      help: "Client connections to this database by state (pg_stat_activity).",
      labelNames: ["state"],
    })
    connections.reset()
    for (const state of connectionStates) connections.set({ state }, 0)
    for (const row of rows) connections.set({ state: row.state }, row.n)
    metrics
      .gauge({
        name: "coderops_pg_oldest_transaction_age_seconds",
        help: "Age of the oldest open transaction on this database (other than the exporter's), in seconds.",
      })
      .set({}, Math.max(0, ...rows.map((row) => row.oldest)))
  }),
}

/** The collectors that need only db-core; subsystems add their own (prebuilds health). */
export const databaseCollectors = (options?: {
  readonly tableLimit?: number
}): ReadonlyArray<Collector> => [
  migrationStateCollector,
  tableSizesCollector({ limit: options?.tableLimit }),
  expiredApiKeysCollector,
  connectionsCollector,
]
