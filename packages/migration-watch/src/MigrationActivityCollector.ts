import { type Collector, Metrics } from "@coderops/metrics"
import * as Effect from "effect/Effect"
import { readMigrationActivity } from "./MigrationActivity.js"

/**
 * Gauges of a migration in progress, read from outside the process that runs it (coderd
 * or coderops): whether one runs, for how long, and the sessions around it.
 */
export const migrationActivityCollector: Collector = {
  name: "migration_activity",
  collect: Effect.gen(function* () {
    const metrics = yield* Metrics
    const activity = yield* readMigrationActivity()
    const gauge = (name: string, help: string, value: number) =>
      metrics.gauge({ name, help }).set({}, value)
    const migrating = activity.migrating
    gauge(
      "coderops_migration_in_progress",
      "1 while a session holds Coder's migration advisory lock (coderd or coderops migrating).",
      migrating === undefined ? 0 : 1,
    )
    gauge(
      "coderops_migration_running_seconds",
      "How long the migrating session's transaction has run, in seconds; 0 when none runs.",
      migrating?.transactionSeconds ?? 0,
    )
    gauge(
      "coderops_migration_blocked_sessions",
      "Sessions waiting behind the running migration's locks (queries users feel).",
      activity.blocked.length,
    )
    gauge(
      "coderops_migration_blocking_sessions",
      "Sessions holding a lock the running migration waits for.",
      activity.blockers.length,
    )
    gauge(
      "coderops_migration_lock_waiters",
      "Sessions waiting for Coder's migration advisory lock (other replicas starting).",
      activity.waitingForLock.length,
    )
  }),
}
