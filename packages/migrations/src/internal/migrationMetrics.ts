import { durationBuckets, type MetricsShape } from "@coderops/metrics"
import type { PlannedStep } from "../MigrationPlan.js"

/** The migrator's metrics: durations, counts, retries, and the wait for the lock. */
export const makeMigrationMetrics = (metrics: MetricsShape) => {
  const durations = metrics.gauge({
    name: "coderops_migration_duration_seconds",
    help: "How long the last run of each migration took, in seconds.",
    labelNames: ["version", "direction"],
  })
  const stepHistogram = metrics.histogram({
    name: "coderops_migration_step_duration_seconds",
    help: "Durations of migrations run, in seconds.",
    labelNames: ["direction"],
    buckets: durationBuckets,
  })
  const applied = metrics.counter({
    name: "coderops_migrations_applied_total",
    help: "Migrations applied, by direction.",
    labelNames: ["direction"],
  })
  const retries = metrics.counter({
    name: "coderops_migration_retries_total",
    help: "Migration attempts retried after lock_not_available or a deadlock.",
    labelNames: ["reason"],
  })
  const lockWait = metrics.gauge({
    name: "coderops_migration_lock_wait_seconds",
    help: "How long the last run waited for the migration advisory lock, in seconds.",
  })
  return {
    /** A migration committed. */
    step: (step: PlannedStep, seconds: number) => {
      durations.set({ version: String(step.version), direction: step.direction }, seconds)
      stepHistogram.observe({ direction: step.direction }, seconds)
      applied.inc({ direction: step.direction })
    },
    /** An attempt is retried after `reason` (the error's tag). */
    retry: (reason: string) => retries.inc({ reason }),
    lockWait: (seconds: number) => lockWait.set({}, seconds),
  }
}

export type MigrationMetrics = ReturnType<typeof makeMigrationMetrics>
