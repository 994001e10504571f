import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type pg from "pg"
import type { Row } from "../DbShape.js"
import type { QueryEvent } from "../QueryObserver.js"
import { fromPgError, type SqlError } from "../SqlError.js"
import { sendCancelRequest } from "./cancelRequest.js"
import { type Connection, now } from "./connection.js"

/**
 * Runs one call on the pinned client or a pooled one, timing it for the observers.
 * Interrupting the fiber cancels the statement on the server (a CancelRequest, which
 * needs no pool connection), so a timeout or Ctrl-C does not leave it running.
 */
export const runStatement = <T>(
  conn: Connection,
  name: string,
  kind: QueryEvent["kind"],
  text: string,
  call: (client: pg.PoolClient) => Promise<T>,
  rowsOf: (result: T) => number,
): Effect.Effect<T, SqlError> =>
  Effect.flatMap(conn.pinnedClient, (pinned) =>
    Effect.callback<T, SqlError>((resume) => {
      const started = now()
      const report = (outcome: "ok" | "error", rowCount: number, error?: SqlError) =>
        conn.notify({
          name,
          kind,
          durationSeconds: (now() - started) / 1000,
          outcome,
          rowCount,
          error: error?._tag,
        })
      let client: pg.PoolClient | undefined = pinned?.client
      let interrupted = false
      let inFlight = false
      let cancelled = false
      const execute = async () => {
        let broken = false
        try {
          client ??= await conn.pool.connect()
          // Interrupted while waiting for a connection: send nothing.
          if (interrupted) throw new Error("interrupted before the statement was sent")
          inFlight = true
          const result = await call(client)
          report("ok", rowsOf(result))
          return result
        } catch (cause) {
          const error = fromPgError(cause, conn.errorContext(name, text))
          broken = error._tag === "ConnectionFailed"
          report("error", 0, error)
          throw error
        } finally {
          inFlight = false
          // A pooled client goes back unless its connection broke or a cancel was sent
          // for it: a cancel can reach the server after the statement it was meant for.
          if (pinned === undefined) client?.release(broken || cancelled || undefined)
        }
      }
      const running = execute()
      running.then(
        (result) => resume(Effect.succeed(result)),
        (error: SqlError) => resume(Effect.fail(error)),
      )
      // On interruption: cancel the statement on the server and wait until it has ended,
      // so nothing the caller interrupted keeps running (or holds its client).
      return Effect.promise(async () => {
        interrupted = true
        const backend = client as
          | { processID?: number; secretKey?: number; host: string; port: number }
          | undefined
        if (inFlight && backend?.processID != null && backend.secretKey != null) {
          cancelled = true
          // The client's own address: the embedded server's port may have changed since
          // the settings were resolved.
          await sendCancelRequest(
            { host: backend.host, port: backend.port },
            { processID: backend.processID, secretKey: backend.secretKey },
            Duration.toMillis(conn.settings.connectTimeout),
          )
        }
        await running.catch(() => {})
      })
    }),
  )

/** One statement of the extended protocol, with its parameters. */
const extended = <R extends pg.QueryResultRow>(
  conn: Connection,
  name: string,
  text: string,
  params: ReadonlyArray<unknown>,
  rowsOf: (result: pg.QueryResult<R>) => number,
) =>
  runStatement(
    conn,
    name,
    "query",
    text,
    (client) => client.query<R>({ text, values: params as Array<unknown> }),
    rowsOf,
  )

/** What `query` and `execute` take: a connection, the statement's name, its text and parameters. */
type StatementArgs = [conn: Connection, name: string, text: string, params?: ReadonlyArray<unknown>]

/** One named, parameterised statement: its rows. */
export const query = <R extends object = Row>(...[conn, name, text, params = []]: StatementArgs) =>
  Effect.map(
    extended<R & pg.QueryResultRow>(
      conn,
      name,
      text,
      params,
      (result) => result.rowCount ?? result.rows.length,
    ),
    (result): ReadonlyArray<R> => result.rows,
  )

/** Like `query`: the affected row count. */
export const execute = (...[conn, name, text, params = []]: StatementArgs) =>
  Effect.map(
    extended(conn, name, text, params, (result) => result.rowCount ?? 0),
    (result) => result.rowCount ?? 0,
  )
