import * as Effect from "effect/Effect"
import { AdvisoryLockBusy, NotInTransaction } from "../DbShape.js"
import type { SqlError } from "../SqlError.js"
import { type Connection, type Pinned, releaseClient, withPinned } from "./connection.js"
import { query } from "./statement.js"

/** One of PostgreSQL's advisory lock functions on `key`, as statement `name`. */
const lockCall = (conn: Connection, name: string, fn: string, key: bigint) =>
  query<{ locked: boolean | null }>(conn, name, `SELECT ${fn}($1::bigint) AS locked`, [
    key.toString(),
  ])

/** A `pg_try_…` function: whether it got the lock. */
const tryLock = (conn: Connection, name: string, fn: string, key: bigint) =>
  Effect.map(lockCall(conn, name, fn, key), (rows) => rows[0]?.locked === true)

/** A session-level advisory lock held on a dedicated connection while `body` runs. */
export const withAdvisoryLock = <A, E, R>(
  conn: Connection,
  key: bigint,
  body: Effect.Effect<A, E, R>,
  options: { readonly wait: boolean },
): Effect.Effect<A, E | SqlError | AdvisoryLockBusy, R> =>
  Effect.acquireUseRelease(
    conn.connect,
    (client) => {
      const pinned: Pinned = { owner: conn.owner, client, transactionDepth: 0 }
      const acquire = options.wait
        ? Effect.as(lockCall(conn, "AcquireAdvisoryLock", "pg_advisory_lock", key), true)
        : tryLock(conn, "TryAdvisoryLock", "pg_try_advisory_lock", key)
      const release = Effect.ignore(
        lockCall(conn, "ReleaseAdvisoryLock", "pg_advisory_unlock", key),
      )
      return withPinned(
        pinned,
        Effect.flatMap(
          acquire,
          (locked): Effect.Effect<A, E | SqlError | AdvisoryLockBusy, R> =>
            locked
              ? Effect.ensuring(body, release)
              : Effect.fail(
                  new AdvisoryLockBusy({
                    key,
                    message: `advisory lock ${key} is held by another session`,
                  }),
                ),
        ),
      )
    },
    releaseClient,
  )

const requireTransaction = (conn: Connection, operation: string) =>
  Effect.flatMap(conn.pinnedClient, (pinned) =>
    pinned !== undefined && pinned.transactionDepth > 0
      ? Effect.void
      : Effect.fail(
          new NotInTransaction({
            operation,
            message: `${operation} holds its lock until the transaction ends; call it inside Db.transaction`,
          }),
        ),
  )

/** Transaction-level advisory lock, released at commit or rollback; waits for it. */
export const advisoryXactLock = (conn: Connection, key: bigint) =>
  Effect.andThen(
    requireTransaction(conn, "advisoryXactLock"),
    Effect.asVoid(lockCall(conn, "AcquireAdvisoryXactLock", "pg_advisory_xact_lock", key)),
  )

/** Transaction-level advisory lock if free right now. */
export const tryAdvisoryXactLock = (conn: Connection, key: bigint) =>
  Effect.andThen(
    requireTransaction(conn, "tryAdvisoryXactLock"),
    tryLock(conn, "TryAdvisoryXactLock", "pg_try_advisory_xact_lock", key),
  )
