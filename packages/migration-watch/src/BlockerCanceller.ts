import { Db } from "@coderops/db-core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { MigrationActivity, Session } from "./MigrationActivity.js"

export interface CancelPolicy {
  /** How long a session must have blocked the migration before it is acted on. */
  readonly after: Duration.Input
  /** End the session (pg_terminate_backend) rather than cancel its query (pg_cancel_backend). */
  readonly terminate: boolean
}

/** What was done to one blocking session, with the facts to log about it. */
export interface BlockerAction {
  readonly action: "cancel" | "terminate"
  /**
   * `signalled`: the server sent the signal. `gone`: the session had ended.
   * `idle-in-transaction`: not cancelled, because a cancel ends a query, and an idle
   * transaction has none running; only ending the session releases its locks.
   */
  readonly outcome: "signalled" | "gone" | "idle-in-transaction"
  /** How long it had blocked the migration, in seconds. */
  readonly blockedSeconds: number
  readonly session: Session
  readonly migratingPid: number
}

/**
 * Remembers since when each session has blocked the migrating session, across readings,
 * and acts on those that have blocked it longer than the policy allows. Never acts on the
 * migrating session, nor twice on one session for one migrating session.
 */
export const makeBlockerCanceller = (policy: CancelPolicy) => {
  const afterMs = Duration.toMillis(Duration.fromInputUnsafe(policy.after))
  // key: `${migrating pid}:${blocker pid}` → when first seen blocking (ms since epoch).
  const since = new Map<string, number>()
  const acted = new Set<string>()

  const signal = Effect.fn("BlockerCanceller.signal")(function* (pid: number) {
    const db = yield* Db
    const rows = yield* db.query<{ signalled: boolean }>(
      policy.terminate ? "TerminateMigrationBlocker" : "CancelMigrationBlocker",
      policy.terminate
        ? "SELECT pg_terminate_backend($1) AS signalled"
        : "SELECT pg_cancel_backend($1) AS signalled",
      [pid],
    )
    return rows[0]?.signalled === true
  })

  return Effect.fn("BlockerCanceller.review")(function* (
    activity: MigrationActivity,
    now: number = Date.now(),
  ) {
    const migrating = activity.migrating
    const current = new Set<string>()
    const actions: BlockerAction[] = []
    if (migrating === undefined) {
      since.clear()
      return actions
    }
    for (const blocker of activity.blockers) {
      if (blocker.pid === migrating.pid) continue
      const key = `${migrating.pid}:${blocker.pid}`
      current.add(key)
      const first = since.get(key) ?? now
      since.set(key, first)
      if (now - first < afterMs || acted.has(key)) continue
      const idle = blocker.state?.startsWith("idle in transaction") === true
      if (idle && !policy.terminate) {
        acted.add(key)
        actions.push({
          action: "cancel",
          outcome: "idle-in-transaction",
          blockedSeconds: (now - first) / 1000,
          session: blocker,
          migratingPid: migrating.pid,
        })
        continue
      }
      const signalled = yield* signal(blocker.pid)
      acted.add(key)
      actions.push({
        action: policy.terminate ? "terminate" : "cancel",
        outcome: signalled ? "signalled" : "gone",
        blockedSeconds: (now - first) / 1000,
        session: blocker,
        migratingPid: migrating.pid,
      })
    }
    // A session that stopped blocking starts from zero if it blocks again.
    for (const key of since.keys()) {
      if (current.has(key)) continue
      since.delete(key)
      acted.delete(key)
    }
    return actions
  })
}
