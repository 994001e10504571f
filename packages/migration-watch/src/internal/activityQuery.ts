/**
 * One catalog read per tick. Only sessions that wait on a lock are asked for their
 * blockers (`pg_blocking_pids` briefly takes the lock manager's partition locks, never a
 * heavyweight lock): the holder of the migration lock, the sessions waiting for that
 * lock, the sessions the holder waits for, and the sessions that wait for the holder.
 *
 * $1: the 64-bit advisory key. pg_locks shows it split into classid (high 32 bits) and
 * objid (low 32 bits) with objsubid 1, for session and transaction locks alike.
 */
export const migrationActivitySql = `
WITH lock_sessions AS (
  SELECT l.pid, bool_or(l.granted) AS granted
    FROM pg_locks l
   WHERE l.locktype = 'advisory' AND l.objsubid = 1
     AND l.classid = ((($1::bigint >> 32) & 4294967295)::bigint)::oid
     AND l.objid = (($1::bigint & 4294967295)::bigint)::oid
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   GROUP BY l.pid
), holder AS (
  SELECT pid FROM lock_sessions WHERE granted ORDER BY pid LIMIT 1
), waiting AS (
  SELECT a.pid, pg_blocking_pids(a.pid) AS blocked_by
    FROM pg_stat_activity a
   WHERE a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()
), roles AS (
  SELECT s.pid, CASE WHEN s.pid = (SELECT pid FROM holder) THEN 'migrating' ELSE 'waitingForLock' END AS role
    FROM lock_sessions s
  UNION
  SELECT b.pid, 'blocker'
    FROM waiting w JOIN holder h ON w.pid = h.pid, unnest(w.blocked_by) AS b(pid)
  UNION
  SELECT w.pid, 'blocked'
    FROM waiting w JOIN holder h ON h.pid = ANY (w.blocked_by)
   WHERE NOT EXISTS (SELECT 1 FROM lock_sessions s WHERE s.pid = w.pid)
)
SELECT r.role, a.pid, a.application_name, a.usename, a.client_addr::text AS client_addr,
       a.backend_start, a.xact_start, a.query_start, a.state, a.wait_event_type, a.wait_event,
       a.query,
       extract(epoch FROM clock_timestamp() - a.xact_start)::float8 AS transaction_seconds,
       extract(epoch FROM clock_timestamp() - a.query_start)::float8 AS query_seconds,
       extract(epoch FROM clock_timestamp() - a.state_change)::float8 AS state_seconds,
       (SELECT coalesce(json_agg(json_build_object(
                 'lockType', l.locktype, 'mode', l.mode,
                 'relation', CASE WHEN l.relation IS NULL THEN NULL ELSE l.relation::regclass::text END)
               ORDER BY l.locktype, l.mode), '[]'::json)
          FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted) AS waiting_for,
       (SELECT coalesce(json_agg(json_build_object('relation', c.oid::regclass::text, 'mode', l.mode)
                 ORDER BY c.oid::regclass::text, l.mode), '[]'::json)
          FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation'
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND c.relkind IN ('r', 'p', 'm', 'v', 'f')
           AND c.relnamespace <> 'pg_catalog'::regnamespace) AS held_locks
  FROM roles r JOIN pg_stat_activity a ON a.pid = r.pid
 ORDER BY r.role, a.pid`
