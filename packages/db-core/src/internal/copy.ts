import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { type Connection, withSession } from "./connection.js"
import { runStatement } from "./statement.js"

/** `COPY ... FROM STDIN` fed from `source`: the number of rows loaded. */
export const copyFrom = (
  conn: Connection,
  name: string,
  text: string,
  source: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
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
        await pipeline(Readable.from(source, { objectMode: false }), stream)
        return stream.rowCount ?? 0
      },
      (rows) => rows,
    ),
  )
