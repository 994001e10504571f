import { hostname } from "node:os"
import { Db } from "@coderops/db-core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import pg from "pg"
import {
  createMissingTables,
  writeText as inlineWrite,
  lastApplied,
  type MigrationTables,
  storedVersion,
  writeStatement,
} from "./internal/migrationTables.js"
import { readMigrationState } from "./MigrationState.js"

/** golang-migrate's state: one row, or none for "no version". */
export type { MigrationState as MigrationVersion } from "./MigrationState.js"

export type Direction = "up" | "down"

export interface HistoryEntry {
  readonly version: number
  readonly direction: Direction
  readonly name: string
  readonly checksum: string
  readonly startedAt: string
  readonly finishedAt: string
  readonly durationMs: number
  readonly appliedBy: string
}

/** A Coder v1 database (it has `migration_cursor`): migrating it would wreck it. */
export class CoderV1Database extends Data.TaggedError("CoderV1Database")<{
  readonly message: string
}> {}

export const defaultStateTable = "schema_migrations"
export const historyTable = "coderops_migration_history"

const identifier = /^[a-z_][a-z0-9_]*$/

export class InvalidStateTable extends Data.TaggedError("InvalidStateTable")<{
  readonly table: string
  readonly message: string
}> {}

/**
 * The state table, exactly as golang-migrate's postgres driver keeps it
 * (`version bigint primary key, dirty boolean`; writing a version empties the table, then
 * inserts), plus coderops' own history table that nothing else requires.
 */
export const makeSchemaMigrations = (table: string = defaultStateTable) =>
  Effect.gen(function* () {
    if (!identifier.test(table)) {
      return yield* new InvalidStateTable({
        table,
        message: `"${table}" is not a plain lower-case table name`,
      })
    }
    const db = yield* Db

    // Both tables are named with their schema: a migration may change search_path (pg_dump
    // output empties it), and its version must still go to the table that was read. The
    // schema is the state table's, or else the current one, where golang-migrate puts it.
    const [located] = yield* db.query<{ schema: string | null }>(
      "FindMigrationSchema",
      `SELECT coalesce(
         (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.oid = to_regclass($1)),
         current_schema()) AS schema`,
      [table],
    )
    const schema = located?.schema ?? undefined
    /** A plain schema name needs no quotes in SQL text (see writeText). */
    const plainSchema = schema === undefined || identifier.test(schema)
    const inSchema = (name: string) =>
      schema === undefined ? name : `${plainSchema ? schema : pg.escapeIdentifier(schema)}.${name}`
    const tables: MigrationTables = { state: inSchema(table), history: inSchema(historyTable) }

    const refuseCoderV1 = Effect.gen(function* () {
      const [row] = yield* db.query<{ v1: boolean }>(
        "FindMigrationCursor",
        "SELECT to_regclass('migration_cursor') IS NOT NULL AS v1",
      )
      if (row?.v1) {
        return yield* new CoderV1Database({
          message:
            "this is a Coder v1 database (it has a migration_cursor table); coderops migrates Coder v2 only",
        })
      }
    })

    /** The current version; undefined when the table is missing or empty ("no version"). */
    const read = Effect.gen(function* () {
      const [exists] = yield* db.query<{ present: boolean }>(
        "FindStateTable",
        "SELECT to_regclass($1) IS NOT NULL AS present",
        [tables.state],
      )
      return exists?.present ? yield* readMigrationState(tables.state) : undefined
    })

    const who = `${process.env.USER ?? "unknown"}@${hostname()} (coderops pid ${process.pid})`

    /**
     * Writes the version and optionally the history row: one statement, one round trip,
     * in the caller's transaction.
     */
    const write = (
      version: number | undefined,
      dirty: boolean,
      entry?: Omit<HistoryEntry, "appliedBy">,
    ) =>
      db.execute(
        "SetMigrationVersion",
        writeStatement(tables, {
          version: "$1::bigint",
          dirty: "$2::boolean",
          history: entry && ["$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10"],
        }),
        entry
          ? [
              storedVersion(version, dirty),
              dirty,
              entry.version,
              entry.direction,
              entry.name,
              entry.checksum,
              entry.startedAt,
              entry.finishedAt,
              entry.durationMs,
              who,
            ]
          : [storedVersion(version, dirty), dirty],
      )

    /**
     * The clean version write and its history row as SQL text, to end the simple-protocol
     * message that carries the migration. Times are the server's: when the message arrived
     * (in one transaction for the whole run, it began long before) and when the row is written.
     * Strings travel hex-encoded, so the text's only quotes enclose letters and digits, in
     * pairs: see Migrator's one-message step.
     */
    const writeText = (
      version: number | undefined,
      entry: Pick<HistoryEntry, "version" | "direction" | "name" | "checksum">,
    ) => {
      if (!plainSchema)
        throw new Error(`schema ${schema} needs quotes: write the version with write`)
      return inlineWrite(tables, who, version, entry)
    }

    return {
      table,
      /** The version write can end a migration's message (its schema needs no quotes). */
      writesInline: plainSchema,
      refuseCoderV1,
      /** Creates whichever of the two tables is missing; writes nothing when both exist. */
      ensure: createMissingTables(db, tables),
      read,
      write,
      writeText,
      /** The last `up` of each version still applied, for drift and durations. */
      lastApplied: lastApplied(db, tables),
    }
  })

export type SchemaMigrations = Effect.Success<ReturnType<typeof makeSchemaMigrations>>
