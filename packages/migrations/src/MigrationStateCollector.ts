import { withRequiredTables } from "@coderops/db-core"
import { type Collector, Metrics } from "@coderops/metrics"
import * as Effect from "effect/Effect"
import { readMigrationState } from "./MigrationState.js"

/**
 * golang-migrate's version and dirty flag, for the exporter; version -1 when the table
 * has no row. A missing table fails the collector (its gauges are then absent), naming it.
 */
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
  }).pipe(withRequiredTables(["schema_migrations"])),
}
