import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { describeTarget } from "./DatabaseConfig.js"
import { Db } from "./Db.js"

/**
 * Tables (or columns) a program reads are missing from the database: it is not the
 * database the program is meant for, or its schema is not migrated that far.
 */
export class SchemaMissing extends Data.TaggedError("SchemaMissing")<{
  /** The database name (current_database()). */
  readonly database: string
  /** `user@host:port/database`; never a password. */
  readonly target: string
  /** What is missing: table names, or words naming a column ("api_keys.scope column"). */
  readonly missing: ReadonlyArray<string>
  readonly message: string
}> {}

/** SchemaMissing for the connected database; `missing` as SchemaMissing holds it. */
export const schemaMissing = Effect.fn("RequiredTables.missing")(function* (
  missing: ReadonlyArray<string>,
) {
  const db = yield* Db
  const target = describeTarget(db.settings)
  return new SchemaMissing({
    database: db.settings.database,
    target,
    missing,
    message: `database "${db.settings.database}" at ${target} has no ${missing.every((name) => !name.includes(" ")) ? `table${missing.length === 1 ? "" : "s"} ` : ""}${missing.join(", ")}`,
  })
})

/** Which of `tables` the current schema (search_path) lacks, in the order given. */
export const missingTables = Effect.fn("RequiredTables.find")(function* (
  tables: ReadonlyArray<string>,
) {
  const db = yield* Db
  const [row] = yield* db.query<{ missing: Array<string> }>(
    "FindMissingTables",
    `SELECT ARRAY(SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS u(t, i)
                   WHERE to_regclass(t) IS NULL ORDER BY i) AS missing`,
    [tables],
  )
  return row?.missing ?? []
})

/** Fails with SchemaMissing, naming them, when any of `tables` is missing. */
export const requireTables = Effect.fn("RequiredTables.require")(function* (
  tables: ReadonlyArray<string>,
) {
  const missing = yield* missingTables(tables)
  if (missing.length > 0) return yield* Effect.fail(yield* schemaMissing(missing))
})

const isUndefinedTable = (error: unknown): boolean =>
  (error as { _tag?: unknown; sqlState?: unknown } | null)?._tag === "QueryFailed" &&
  (error as { sqlState?: unknown }).sqlState === "42P01"

/**
 * Runs `program`, which reads `tables`; when it fails with undefined_table (42P01) and
 * some of them are missing, it fails with SchemaMissing naming them instead. Costs nothing
 * until then: the tables are looked up only after such a failure, on a fresh statement
 * (the failed transaction is over by then). A 42P01 on any other relation stays as it was.
 */
export const withRequiredTables =
  (tables: ReadonlyArray<string>) =>
  <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E | SchemaMissing, R | Db> =>
    Effect.catchIf(
      program,
      (error: E) => isUndefinedTable(error),
      (error) =>
        Effect.gen(function* () {
          const missing = yield* missingTables(tables).pipe(
            Effect.orElseSucceed((): ReadonlyArray<string> => []),
          )
          if (missing.length === 0) return yield* Effect.fail(error)
          return yield* Effect.fail(yield* schemaMissing(missing))
        }),
    )
