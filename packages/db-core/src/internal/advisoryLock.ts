import * as Effect from "effect/Effect"
import { AdvisoryLockBusy, NotInTransaction } from "../DbShape.js"
import type { SqlError } from "../SqlError.js"
import { type Connection, type Pinned, releaseClient, withPinned } from "./connection.js"
import { query } from "./statement.js"

const keyParam = (key: bigint) => key.toString()

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
        ? Effect.as(
            query(conn, "AcquireAdvisoryLock", "SELECT pg_advisory_lock($1::bigint)", [
              keyParam(key),
            ]),
            true,
          )
        : Effect.map(
            query<{ locked: boolean }>(
              conn,
              "TryAdvisoryLock",
              "SELECT pg_try_advisory_lock($1::bigint) AS locked",
              [keyParam(key)],
            ),
            (rows) => rows[0]?.locked === true,
          )
      const release = Effect.ignore(
        query(conn, "ReleaseAdvisoryLock", "SELECT pg_advisory_unlock($1::bigint)", [
          keyParam(key),
        ]),
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
    Effect.asVoid(
      query(conn, "AcquireAdvisoryXactLock", "SELECT pg_advisory_xact_lock($1::bigint)", [
        keyParam(key),
      ]),
    ),
  )

/** Transaction-level advisory lock if free right now. */
export const tryAdvisoryXactLock = (conn: Connection, key: bigint) =>
  Effect.andThen(
    requireTransaction(conn, "tryAdvisoryXactLock"),
    Effect.map(
      query<{ locked: boolean }>(
        conn,
        "TryAdvisoryXactLock",
        "SELECT pg_try_advisory_xact_lock($1::bigint) AS locked",
        [keyParam(key)],
      ),
      (rows) => rows[0]?.locked === true,
    ),
  )
