// The collectors the exporter publishes (`metrics serve`, the end of `demo`), each from the
// package that owns its subject; the two PostgreSQL-level ones are composed here. db-core owns their statements
// (PostgreSQL access) but cannot hold a collector: that would make it import metrics,
// which imports db-core. Which tables are always reported (Coder's api_keys) is this
// exporter's choice, not db-core's.
import {
  connectionStates,
  largestTables,
  readConnectionActivity,
  tableSizes,
} from "@coderops/db-core"
import { expiredApiKeysCollector } from "@coderops/dbpurge"
import { type Collector, Metrics } from "@coderops/metrics"
import { migrationActivityCollector } from "@coderops/migration-watch"
import { migrationStateCollector } from "@coderops/migrations"
import { prebuildsHealthCollector, presetStateCollector } from "@coderops/prebuilds-reconcile"
import * as Effect from "effect/Effect"

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

/** Client connections to this database by state, and the age of the oldest open transaction. */
export const connectionsCollector: Collector = {
  name: "connections",
  collect: Effect.gen(function* () {
    const metrics = yield* Metrics
    const activity = yield* readConnectionActivity()
    const connections = metrics.gauge({
      name: "coderops_pg_connections",
      help: "Client connections to this database by state (pg_stat_activity).",
      labelNames: ["state"],
    })
    connections.reset()
    for (const state of connectionStates) connections.set({ state }, 0)
    for (const { state, connections: n } of activity.byState) connections.set({ state }, n)
    metrics
      .gauge({
        name: "coderops_pg_oldest_transaction_age_seconds",
        help: "Age of the oldest open transaction on this database (other than the exporter's), in seconds.",
      })
      .set({}, activity.oldestTransactionSeconds)
  }),
}

/** Every collector of `metrics serve`, in the order they get a connection. */
export const exporterCollectors = (options?: {
  readonly tableLimit?: number
}): ReadonlyArray<Collector> => [
  migrationStateCollector,
  migrationActivityCollector,
  tableSizesCollector({ limit: options?.tableLimit }),
  expiredApiKeysCollector,
  connectionsCollector,
  prebuildsHealthCollector,
  presetStateCollector,
]
