import { isTransient, type SchemaMissing, type SqlError } from "@coderops/db-core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { defaultLeaderLockKey, type ReconcileReport, reconcileAll } from "./MembershipReconciler.js"

export interface ReconcileLoopOptions {
  /** Time between passes. */
  readonly interval: Duration.Input
  /** Each wait is the interval ± this fraction, so replicas drift apart. */
  readonly jitter?: number | undefined
  readonly leaderLockKey?: bigint | undefined
  readonly onPass?: ((report: ReconcileReport) => void) | undefined
  /** A pass that failed; `retryIn` is the backoff before the next try. */
  readonly onFailure?:
    | ((error: SqlError | SchemaMissing, retryIn: Duration.Duration) => void)
    | undefined
}

const jittered = (ms: number, jitter: number) =>
  Math.max(0, ms * (1 + (Math.random() * 2 - 1) * jitter))

/**
 * Reconciles every interval until interrupted. Only the replica holding Coder's leader
 * lock works on a tick; the others skip quietly (debug log). A failed pass backs off
 * (1 s doubling up to the interval) while the database is unreachable, then resumes.
 * Interruption (SIGINT/SIGTERM) lands between passes: a pass is never cut short.
 */
export const runReconcileLoop = (options: ReconcileLoopOptions) =>
  Effect.gen(function* () {
    const intervalMs = Duration.toMillis(options.interval)
    let failures = 0
    for (;;) {
      const outcome = yield* Effect.result(
        Effect.uninterruptible(
          reconcileAll({ leaderLockKey: options.leaderLockKey ?? defaultLeaderLockKey }),
        ),
      )
      let waitMs = jittered(intervalMs, options.jitter ?? 0.1)
      if (outcome._tag === "Success") {
        failures = 0
        if (!outcome.success.leader) {
          yield* Effect.logDebug("another reconciler holds the leader lock; skipped this tick")
        }
        options.onPass?.(outcome.success)
      } else {
        failures++
        const error = outcome.failure as SqlError | SchemaMissing
        // While the database is away, retry sooner than the interval, backing off.
        if (error._tag !== "SchemaMissing" && isTransient(error))
          waitMs = Math.min(intervalMs, 1000 * 2 ** Math.min(failures - 1, 10))
        options.onFailure?.(error, Duration.millis(waitMs))
      }
      yield* Effect.sleep(Duration.millis(waitMs))
    }
  })
