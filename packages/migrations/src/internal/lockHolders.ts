import { Db } from "@coderops/db-core"
import * as Effect from "effect/Effect"

/** A session holding an advisory lock, as pg_stat_activity shows it. */
export interface LockHolder {
  readonly pid: number
  readonly applicationName: string
  readonly user: string
  readonly clientAddress: string | undefined
  /** When the holder's session started. */
  readonly since: string
  readonly state: string | undefined
}

/** The pg_stat_activity columns a LockHolder is made of. */
export interface SessionRow {
  pid: number
  application_name: string | null
  usename: string | null
  client_addr: string | null
  backend_start: Date | null
  state: string | null
}

export const lockHolderOf = (row: SessionRow): LockHolder => ({
  pid: row.pid,
  applicationName: row.application_name ?? "",
  user: row.usename ?? "unknown",
  clientAddress: row.client_addr ?? undefined,
  since: row.backend_start?.toISOString() ?? "unknown",
  state: row.state ?? undefined,
})

/**
 * Who holds the 64-bit advisory lock `key`: pg_locks splits it into classid (high 32 bits)
 * and objid (low 32 bits) with objsubid 1. Other users' details need pg_read_all_stats.
 */
export const findLockHolders = (key: bigint) =>
  Effect.map(
    Db.use((db) =>
      db.query<SessionRow>(
        "FindAdvisoryLockHolders",
        `SELECT l.pid, a.application_name, a.usename, a.client_addr::text AS client_addr, a.backend_start, a.state
           FROM pg_locks l
           LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
            AND l.classid = ((($1::bigint >> 32) & 4294967295)::bigint)::oid
            AND l.objid = (($1::bigint & 4294967295)::bigint)::oid
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [key.toString()],
      ),
    ),
    (rows) => rows.map(lockHolderOf),
  )
