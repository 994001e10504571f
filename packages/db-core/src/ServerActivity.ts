import * as Effect from "effect/Effect"
import { Db } from "./Db.js"

export interface ConnectionActivity {
  /** Client connections to the current database by `pg_stat_activity.state`. */
  readonly byState: ReadonlyArray<{ readonly state: string; readonly connections: number }>
  /** Age of the oldest open transaction other than this session's, in seconds; 0 if none. */
  readonly oldestTransactionSeconds: number
}

/** pg_stat_activity's states of a client backend, for gauges that start at 0. */
export const connectionStates: ReadonlyArray<string> = [
  "active",
  "idle",
  "idle in transaction",
  "idle in transaction (aborted)",
  "fastpath function call",
  "disabled",
]

/** Client connections to the current database by state, and its oldest open transaction. */
export const readConnectionActivity = Effect.fn("ServerActivity.connections")(function* () {
  const db = yield* Db
  const rows = yield* db.query<{ state: string; n: number; oldest: number }>(
    "GetConnectionStates",
    `SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n,
            coalesce(max(extract(epoch FROM now() - xact_start)) FILTER (WHERE pid <> pg_backend_pid()), 0)::float8 AS oldest
       FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend'
      GROUP BY 1`,
  )
  return {
    byState: rows.map((row) => ({ state: row.state, connections: row.n })),
    oldestTransactionSeconds: Math.max(0, ...rows.map((row) => row.oldest)),
  } satisfies ConnectionActivity
})
