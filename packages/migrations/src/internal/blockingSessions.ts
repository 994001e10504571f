import type { DbShape } from "@coderops/db-core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { queryLine } from "../printable.js"
import { type LockHolder, lockHolderOf, type SessionRow } from "./lockHolders.js"

/** A session that holds a lock another one waits for, and what it runs (or last ran). */
export interface BlockingSession extends LockHolder {
  /** Its statement, on one line; absent when this user may not see it. */
  readonly query: string | undefined
}

/**
 * The sessions that block session `pid` (pg_blocking_pids: lock holders and the sessions
 * queued ahead of it), from another connection. Details of other users' sessions need
 * pg_read_all_stats; without it the pid is still known.
 */
export const findBlockingSessions = (db: DbShape, pid: number) =>
  Effect.map(
    db.query<SessionRow & { query: string | null }>(
      "FindBlockingSessions",
      `SELECT b.pid, a.application_name, a.usename, a.client_addr::text AS client_addr,
              a.backend_start, a.state, a.query
         FROM unnest(pg_blocking_pids($1::int)) AS b(pid)
         LEFT JOIN pg_stat_activity a ON a.pid = b.pid
        ORDER BY b.pid`,
      [pid],
    ),
    (rows) =>
      rows.map(
        (row): BlockingSession => ({
          ...lockHolderOf(row),
          query: row.query === null || row.query === "" ? undefined : queryLine(row.query),
        }),
      ),
  )

/**
 * How often a waiting migration looks for who blocks it: a third of its lock_timeout (so a
 * wait that ends in lock_not_available is seen at least twice), between 20 ms and 1 s.
 * Once it has failed, pg_blocking_pids no longer knows: the wait is over.
 */
export const probeInterval = (lockTimeoutMs: number) =>
  Duration.millis(lockTimeoutMs <= 0 ? 1000 : Math.min(1000, Math.max(20, lockTimeoutMs / 3)))

/**
 * Runs `attempt` (statements of session `pid`, to which the caller is pinned) while
 * probing, every `every` on another connection of the pool, which sessions block it;
 * `seen` gets each non-empty answer. A probe that fails is skipped: the watch never
 * fails the attempt.
 */
export const watchingBlockers = <A, E, R>(
  db: DbShape,
  pid: number,
  every: Duration.Duration,
  seen: (sessions: ReadonlyArray<BlockingSession>) => void,
  attempt: Effect.Effect<A, E, R>,
) =>
  Effect.gen(function* () {
    const probe = Effect.andThen(
      Effect.sleep(every),
      db.detached(findBlockingSessions(db, pid)).pipe(
        Effect.tap((sessions) => Effect.sync(() => sessions.length > 0 && seen(sessions))),
        Effect.ignore,
      ),
    )
    const fiber = yield* Effect.forkChild(Effect.forever(probe))
    return yield* Effect.ensuring(attempt, Fiber.interrupt(fiber))
  })
