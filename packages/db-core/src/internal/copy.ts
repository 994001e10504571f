import { once } from "node:events"
import { finished } from "node:stream/promises"
import { type Connection, withSession } from "./connection.js"
import { runStatement } from "./statement.js"

/**
 * `COPY ... FROM STDIN` fed from `source`: the number of rows loaded. `onSent` hears of
 * each chunk once the COPY stream has written it to the connection (not when it was
 * produced: a progress count of what the server has, not of what waits in buffers).
 */
export const copyFrom = (
  conn: Connection,
  name: string,
  text: string,
  source: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  onSent?: (() => void) | undefined,
) =>
  withSession(
    conn,
    runStatement(
      conn,
      name,
      "copy",
      text,
      async (client) => {
        // Only seeding copies: loaded here, not on every command's start.
        const { from: copyFromStdin } = await import("pg-copy-streams")
        const stream = client.query(copyFromStdin(text))
        // Rejects when the COPY fails; a wait for room below then fails too.
        const ended = finished(stream)
        ended.catch(() => {})
        const sent = (error?: Error | null) => {
          if (!error) onSent?.()
        }
        try {
          // The chunks as they are (a Readable would merge them): one `onSent` each.
          for await (const chunk of source) {
            if (!stream.write(chunk, sent)) await Promise.race([once(stream, "drain"), ended])
          }
        } catch (error) {
          // CopyFail: the server ends the COPY and the connection leaves COPY mode.
          stream.destroy(error as Error)
          throw error
        }
        stream.end()
        await ended
        return stream.rowCount ?? 0
      },
      (rows) => rows,
    ),
  )
