import type { DbShape } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import { type LockHolder, lockHolderOf, type SessionRow } from "./lockHolders.js"

/** A session that holds a lock another one waits for, and what it runs (or last ran). */
export interface BlockingSession extends LockHolder {
  /** Its statement, on one line; absent when this user may not see it. */
  readonly query: string | undefined
}

/** A statement shown in a line: whitespace runs folded, cut after 120 characters. */
const oneLine = (text: string) => {
  const folded = text.replace(/\s+/g, " ").trim()
  return folded.length > 120 ? `${folded.slice(0, 119)}…` : folded
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
          query: row.query === null || row.query === "" ? undefined : oneLine(row.query),
        }),
      ),
  )
