import { rm, stat, writeFile } from "node:fs/promises"
import { join, resolve } from "node:path"
import { withFileLock } from "@coderops/db-core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { loadMigrations } from "./MigrationSource.js"
import { printable } from "./printable.js"

/** NAME_MAX of Linux and macOS file systems, in bytes (a snake_case name is ASCII). */
const fileNameMax = 255
/** The longest name whose down file fits in a file name with a six-digit version. */
const longestName = fileNameMax - "000000_.down.sql".length

/** A name for a new migration that is not snake_case, or too long for a file name. */
export class InvalidMigrationName extends Data.TaggedError("InvalidMigrationName")<{
  readonly reason: "not-snake-case" | "too-long"
  readonly name: string
  readonly message: string
}> {}

/**
 * `createMigration` into a directory that does not exist: a mistyped path would silently
 * start a new chain at 000001, so it is refused rather than made.
 */
export class MigrationDirectoryMissing extends Data.TaggedError("MigrationDirectoryMissing")<{
  readonly dir: string
  readonly message: string
}> {}

/** The files `createMigration` wrote. */
export interface CreatedMigration {
  readonly up: string
  readonly down: string
  readonly version: number
}

/** Undefined when `name` is a valid migration name, else what is wrong with it. */
export const migrationNameError = (name: string): InvalidMigrationName | undefined => {
  if (!/^[a-z0-9_]+$/.test(name))
    return new InvalidMigrationName({
      reason: "not-snake-case",
      name,
      message: `"${name}" is not snake_case (a-z, 0-9, _)`,
    })
  if (name.length > longestName)
    return new InvalidMigrationName({
      reason: "too-long",
      name,
      message: `the name is ${name.length} characters; at most ${longestName} fit in a file name (NNNNNN_name.down.sql, ${fileNameMax} bytes at most)`,
    })
  return undefined
}

/** The next version after the highest the directory holds (a broken directory is reported, not extended). */
const createNext = (dir: string, name: string, noTransaction: boolean) =>
  Effect.gen(function* () {
    const source = yield* loadMigrations(dir)
    const version = (source.migrations.at(-1)?.version ?? 0) + 1
    const base = `${String(version).padStart(6, "0")}_${name}`
    if (base.length + ".down.sql".length > fileNameMax) {
      return yield* new InvalidMigrationName({
        reason: "too-long",
        name,
        message: `${base}.down.sql would be longer than the ${fileNameMax} bytes a file name can hold`,
      })
    }
    const up = join(dir, `${base}.up.sql`)
    const down = join(dir, `${base}.down.sql`)
    const directive = noTransaction ? "-- coder:no-transaction\n" : ""
    yield* Effect.promise(async () => {
      await writeFile(up, `${directive}-- ${name}\n`, { flag: "wx" })
      // Never half a pair: the directory would no longer load.
      await writeFile(down, `-- undo ${name}\n`, { flag: "wx" }).catch(async (cause: unknown) => {
        await rm(up, { force: true })
        throw cause
      })
    })
    return { up, down, version } satisfies CreatedMigration
  })

/**
 * Creates the next `NNNNNN_name.up.sql` and `.down.sql` in `dir` (which must exist): the
 * version one more than the highest there, archive folders included, six digits as Coder
 * numbers them. Both files start empty but for a comment; with `noTransaction` the up
 * file starts with the `-- coder:no-transaction` directive.
 */
export const createMigration = Effect.fn("MigrationFiles.create")(function* (
  dir: string,
  name: string,
  options: { readonly noTransaction?: boolean | undefined } = {},
) {
  const invalid = migrationNameError(name)
  if (invalid !== undefined) return yield* invalid
  const missing = yield* Effect.promise(() =>
    stat(dir).then(
      () => false,
      (cause: NodeJS.ErrnoException) => cause.code === "ENOENT" || cause.code === "ENOTDIR",
    ),
  )
  if (missing) {
    const absolute = resolve(dir)
    return yield* new MigrationDirectoryMissing({
      dir: absolute,
      message: `the migration directory ${printable(absolute)} does not exist`,
    })
  }
  // Two creates at once would both take the same next version: one at a time. The lock
  // file's name is no migration's, so a reader of the directory ignores it.
  const created = yield* Effect.promise(() =>
    withFileLock(join(dir, ".coderops-create.lock"), "30 seconds", () =>
      Effect.runPromise(Effect.exit(createNext(dir, name, options.noTransaction ?? false))),
    ),
  )
  return yield* created
})
