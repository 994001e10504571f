import { rename, rm, writeFile } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { Metrics } from "./Metrics.js"

export class TextfileError extends Data.TaggedError("TextfileError")<{
  readonly path: string
  readonly message: string
}> {}

/**
 * Writes the exposition for node_exporter's textfile collector: to a temporary file in the
 * same directory, then renamed over `path`, so the collector never reads half a file.
 */
export const writeTextfile = Effect.fn("Metrics.writeTextfile")(function* (path: string) {
  const metrics = yield* Metrics
  const body = yield* Effect.promise(() => metrics.exposition())
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  yield* Effect.tryPromise({
    try: async () => {
      try {
        await writeFile(temporary, body, { mode: 0o644 })
        await rename(temporary, path)
      } catch (cause) {
        await rm(temporary, { force: true })
        throw cause
      }
    },
    catch: (cause) =>
      new TextfileError({
        path,
        message: `cannot write metrics to ${path}: ${(cause as Error).message}`,
      }),
  })
  return path
})
