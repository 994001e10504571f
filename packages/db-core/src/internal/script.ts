import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type pg from "pg"
import { fromPgError, type SqlError } from "../SqlError.js"
import { type Connection, now, withSession } from "./connection.js"
import { sendScript } from "./scriptQuery.js"
import { runStatement } from "./statement.js"

const rowsOfScript = (result: pg.QueryResult | Array<pg.QueryResult>) =>
  Array.isArray(result)
    ? result.reduce((sum, r) => sum + (r.rowCount ?? 0), 0)
    : (result.rowCount ?? 0)

/** A multi-statement text as one simple-protocol query. */
export const script = (conn: Connection, name: string, text: string) =>
  Effect.asVoid(
    runStatement(
      conn,
      name,
      "script",
      text,
      // No values: pg uses the simple query protocol, several statements in one message.
      (client) => sendScript(client, text),
      rowsOfScript,
    ),
  )

/** Scripts back to back on one connection (see `DbShape.scriptChain`). */
export const scriptChain = (
  conn: Connection,
  name: string,
  next: () => string | undefined,
  onDone: (durationSeconds: number) => void,
) =>
  withSession(
    conn,
    Effect.flatMap(conn.pinnedClient, (pinned) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const client = pinned!.client
          let stopped = false
          let failure: { readonly error: SqlError } | { readonly defect: unknown } | undefined
          let finish = () => {}
          const ended = new Promise<void>((resolve) => {
            finish = resolve
          })
          /** Runs the caller's or an observer's code: what it throws ends the chain. */
          const guarded = (body: () => void) => {
            try {
              body()
            } catch (defect) {
              failure ??= { defect }
            }
          }
          const send = () => {
            let text: string | undefined
            guarded(() => {
              text = stopped || failure !== undefined ? undefined : next()
            })
            if (text === undefined) return finish()
            const sql = text
            const started = now()
            const sent = sendScript(client, sql)
            sent.then(
              (result) => {
                const durationSeconds = (now() - started) / 1000
                // The server starts on the next script before the caller sees this one.
                send()
                guarded(() => {
                  conn.notify({
                    name,
                    kind: "script",
                    durationSeconds,
                    outcome: "ok",
                    rowCount: rowsOfScript(result),
                  })
                  onDone(durationSeconds)
                })
              },
              (cause: unknown) => {
                const error = fromPgError(cause, conn.errorContext(name, sql))
                failure ??= { error }
                guarded(() =>
                  conn.notify({
                    name,
                    kind: "script",
                    durationSeconds: (now() - started) / 1000,
                    outcome: "error",
                    rowCount: 0,
                    error: error._tag,
                  }),
                )
                finish()
              },
            )
          }
          send()
          const waited = yield* Effect.exit(restore(Effect.promise(() => ended)))
          if (Exit.isFailure(waited)) {
            stopped = true
            yield* Effect.promise(() => ended)
          }
          if (failure === undefined) return
          return yield* "error" in failure ? Effect.fail(failure.error) : Effect.die(failure.defect)
        }),
      ),
    ),
  )
