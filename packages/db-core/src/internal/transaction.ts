import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type pg from "pg"
import type { IsolationLevel, TransactionOptions } from "../DbShape.js"
import { fromPgError, type SqlError } from "../SqlError.js"
import { type Connection, now, type Pinned, releaseClient, withPinned } from "./connection.js"

const isolationSql: Record<IsolationLevel, string> = {
  "read committed": "READ COMMITTED",
  "repeatable read": "REPEATABLE READ",
  serializable: "SERIALIZABLE",
}

/** Control statements (BEGIN, COMMIT, SAVEPOINT) are not reported as queries. */
const control = (conn: Connection, client: pg.PoolClient, name: string, text: string) =>
  Effect.tryPromise({
    try: () => client.query(text),
    catch: (cause) => fromPgError(cause, conn.errorContext(name, text)),
  })

/** BEGIN with the options' modes and `SET LOCAL` settings, in one message. */
const beginStatement = (options: TransactionOptions) => {
  const modes = [
    options.isolation ? `ISOLATION LEVEL ${isolationSql[options.isolation]}` : "",
    options.readOnly ? "READ ONLY" : "",
  ]
    .filter((mode) => mode !== "")
    .join(" ")
  const settings = Object.entries(options.settings ?? {}).map(([name, value]) => {
    // SET takes no bind parameters: only plain names and values are let through.
    if (!/^[a-z_.]+$/.test(name) || !/^[A-Za-z0-9_.-]+$/.test(String(value))) {
      throw new Error(`transaction setting ${name} = ${value} is not a plain name and value`)
    }
    return `; SET LOCAL ${name} = ${typeof value === "number" ? value : `'${value}'`}`
  })
  return `${modes === "" ? "BEGIN" : `BEGIN ${modes}`}${settings.join("")}`
}

const finishTransaction = <A, E, R>(
  conn: Connection,
  name: string,
  pinned: Pinned,
  body: Effect.Effect<A, E, R>,
  begin: string,
  commit: string,
  rollback: string,
): Effect.Effect<A, E | SqlError, R> =>
  Effect.gen(function* () {
    const started = now()
    yield* control(conn, pinned.client, name, begin)
    const inner: Pinned = { ...pinned, transactionDepth: pinned.transactionDepth + 1 }
    const exit = yield* Effect.exit(withPinned(inner, body))
    const end = Exit.isSuccess(exit)
      ? control(conn, pinned.client, name, commit)
      : control(conn, pinned.client, name, rollback)
    const ended = yield* Effect.exit(end)
    if (pinned.transactionDepth === 0) {
      const outcome = Exit.isSuccess(exit) && Exit.isSuccess(ended) ? "commit" : "rollback"
      const event = { name, durationSeconds: (now() - started) / 1000, outcome } as const
      for (const observer of conn.observers) observer.onTransaction?.(event)
    }
    if (Exit.isSuccess(exit) && Exit.isFailure(ended)) return yield* Effect.failCause(ended.cause)
    return yield* exit
  }).pipe(
    // An interrupted body leaves the transaction open: roll it back before the client
    // goes anywhere else.
    Effect.onInterrupt(() => Effect.ignore(control(conn, pinned.client, name, rollback))),
  )

/** Runs `body` in a transaction (a savepoint when nested); rolls back on any failure. */
export const transaction = <A, E, R>(
  conn: Connection,
  name: string,
  body: Effect.Effect<A, E, R>,
  options: TransactionOptions = {},
): Effect.Effect<A, E | SqlError, R> => {
  const begin = beginStatement(options)
  return Effect.flatMap(conn.pinnedClient, (pinned) => {
    if (pinned !== undefined && pinned.transactionDepth > 0) {
      const savepoint = `coderops_sp_${pinned.transactionDepth}`
      return finishTransaction(
        conn,
        name,
        pinned,
        body,
        `SAVEPOINT ${savepoint}`,
        `RELEASE SAVEPOINT ${savepoint}`,
        `ROLLBACK TO SAVEPOINT ${savepoint}`,
      )
    }
    if (pinned !== undefined) {
      return finishTransaction(conn, name, pinned, body, begin, "COMMIT", "ROLLBACK")
    }
    return Effect.acquireUseRelease(
      conn.connect,
      (client) =>
        finishTransaction(
          conn,
          name,
          { owner: conn.owner, client, transactionDepth: 0 },
          body,
          begin,
          "COMMIT",
          "ROLLBACK",
        ),
      releaseClient,
    )
  })
}
