// COPY's text format, as strings: for the small tables, where clarity beats speed.

/** Escapes a value for COPY's text format (backslash, tab, newline, carriage return). */
export const copyText = (value: string) => value.replace(/[\\\t\n\r]/g, copyEscape)
const copyEscape = (c: string) =>
  c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"

/** NULL in COPY's text format. */
export const copyNull = "\\N"

/** One row: fields already in COPY text. */
export const line = (fields: ReadonlyArray<string | number>) => `${fields.join("\t")}\n`

/** Characters (bytes: all of it is ASCII) per chunk: few stream writes, few CopyData messages. */
export const chunkSize = 256 * 1024

/**
 * A COPY's rows counted as they reach the server: `produced` hears of each chunk's rows as
 * its generator makes it, `sent` (Db.copyFrom's `onSent`) once that chunk is written to
 * the connection, chunks in order; `onRows` hears the rows then. Undefined without `onRows`.
 */
export const sentRows = (onRows: ((rows: number) => void) | undefined) => {
  if (onRows === undefined) return undefined
  const waiting: Array<number> = []
  return {
    produced: (rows: number) => {
      waiting.push(rows)
    },
    sent: () => onRows(waiting.shift() ?? 0),
  }
}

/** Rows joined into chunks of about `chunkSize`; `onRows` hears how many rows each chunk holds. */
export function* chunked(
  rows: Iterable<string>,
  onRows?: ((rows: number) => void) | undefined,
): Generator<string> {
  let chunk = ""
  let count = 0
  for (const row of rows) {
    chunk += row
    count++
    if (chunk.length >= chunkSize) {
      onRows?.(count)
      yield chunk
      chunk = ""
      count = 0
    }
  }
  if (chunk !== "") {
    onRows?.(count)
    yield chunk
  }
}

/** Whole-second Unix time as timestamptz text (UTC). */
export const timestamp = (unixSeconds: number) =>
  `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace("T", " ")}+00`

/** Seconds in a day. */
export const day = 86_400
