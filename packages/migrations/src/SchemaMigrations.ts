import { hostname } from "node:os"
import { Db, readMigrationState } from "@coderops/db-core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import pg from "pg"

/** golang-migrate's state: one row, or none for "no version". */
export type { MigrationState as MigrationVersion } from "@coderops/db-core"

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

/** A string as a SQL expression whose only characters are letters, digits and punctuation. */
const hexText = (value: string) =>
  `convert_from(decode('${Buffer.from(value, "utf8").toString("hex")}', 'hex'), 'UTF8')`

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
    const stateName = inSchema(table)
    const historyName = inSchema(historyTable)

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

    /** Creates whichever of the two tables is missing; writes nothing when both exist. */
    const ensure = Effect.gen(function* () {
      const [present] = yield* db.query<{ state: boolean; history: boolean }>(
        "FindMigrationTables",
        "SELECT to_regclass($1) IS NOT NULL AS state, to_regclass($2) IS NOT NULL AS history",
        [stateName, historyName],
      )
      if (!present?.state) {
        yield* db.script(
          "CreateStateTable",
          `CREATE TABLE IF NOT EXISTS ${stateName} (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`,
        )
      }
      if (!present?.history) {
        yield* db.script(
          "CreateHistoryTable",
          `CREATE TABLE IF NOT EXISTS ${historyName} (
             id bigserial PRIMARY KEY,
             version bigint NOT NULL,
             direction text NOT NULL CHECK (direction IN ('up', 'down')),
             name text NOT NULL,
             checksum text NOT NULL,
             started_at timestamptz NOT NULL,
             finished_at timestamptz NOT NULL,
             duration_ms double precision NOT NULL,
             applied_by text NOT NULL
           );
           COMMENT ON TABLE ${historyName} IS 'coderops: when each migration ran, how long it took, and the checksum of the file, for drift reports. Optional.';`,
        )
      }
    })

    /** The current version; undefined when the table is missing or empty ("no version"). */
    const read = Effect.gen(function* () {
      const [exists] = yield* db.query<{ present: boolean }>(
        "FindStateTable",
        "SELECT to_regclass($1) IS NOT NULL AS present",
        [stateName],
      )
      return exists?.present ? yield* readMigrationState(stateName) : undefined
    })

    const who = `${process.env.USER ?? "unknown"}@${hostname()} (coderops pid ${process.pid})`

    /**
     * The statement that empties the table and writes the version, as golang-migrate does
     * (no version: the table stays empty; a dirty "no version" is -1), optionally with the
     * history row; `values` are SQL expressions: parameters, or literals.
     */
    const writeStatement = (values: {
      readonly version: string
      readonly dirty: string
      readonly history?: ReadonlyArray<string> | undefined
    }) => {
      const history = values.history
        ? `, recorded AS (
             INSERT INTO ${historyName} (version, direction, name, checksum, started_at, finished_at, duration_ms, applied_by)
             VALUES (${values.history.join(", ")}))`
        : ""
      // Other versions' rows go, and the version is upserted: one row remains, as after
      // golang-migrate's TRUNCATE + INSERT (a DELETE and an INSERT of the same key cannot
      // share one statement).
      return `WITH cleared AS (DELETE FROM ${stateName} WHERE version IS DISTINCT FROM ${values.version})${history}
         INSERT INTO ${stateName} (version, dirty) SELECT ${values.version}, ${values.dirty} WHERE ${values.version} IS NOT NULL
         ON CONFLICT (version) DO UPDATE SET dirty = EXCLUDED.dirty`
    }

    const storedVersion = (version: number | undefined, dirty: boolean) =>
      version ?? (dirty ? -1 : null)

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
        writeStatement({
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
      if (!/^[0-9a-f]+$/.test(entry.checksum)) {
        throw new Error(`checksum ${entry.checksum} of ${entry.name} is not lower-case hex`)
      }
      const stored = storedVersion(version, false)
      return writeStatement({
        version: `${stored === null ? "NULL" : Math.trunc(stored)}::bigint`,
        dirty: "false",
        history: [
          String(Math.trunc(entry.version)),
          entry.direction === "up" ? "'up'" : "'down'",
          hexText(entry.name),
          `'${entry.checksum}'`,
          "statement_timestamp()",
          "clock_timestamp()",
          "1000 * extract(epoch FROM clock_timestamp() - statement_timestamp())",
          hexText(who),
        ],
      })
    }

    /** The last `up` of each version still applied, for drift and durations. */
    const lastApplied = Effect.gen(function* () {
      const [exists] = yield* db.query<{ present: boolean }>(
        "FindHistoryTable",
        "SELECT to_regclass($1) IS NOT NULL AS present",
        [historyName],
      )
      if (!exists?.present) return new Map<number, HistoryEntry>()
      const rows = yield* db.query<{
        version: string
        direction: Direction
        name: string
        checksum: string
        started_at: Date
        finished_at: Date
        duration_ms: number
        applied_by: string
      }>(
        "GetMigrationHistory",
        `SELECT DISTINCT ON (version) version, direction, name, checksum, started_at, finished_at, duration_ms, applied_by
           FROM ${historyName} ORDER BY version, id DESC`,
      )
      return new Map(
        rows
          .filter((row) => row.direction === "up")
          .map((row): [number, HistoryEntry] => [
            Number(row.version),
            {
              version: Number(row.version),
              direction: row.direction,
              name: row.name,
              checksum: row.checksum,
              startedAt: row.started_at.toISOString(),
              finishedAt: row.finished_at.toISOString(),
              durationMs: row.duration_ms,
              appliedBy: row.applied_by,
            },
          ]),
      )
    })

    return {
      table,
      /** The version write can end a migration's message (its schema needs no quotes). */
      writesInline: plainSchema,
      refuseCoderV1,
      ensure,
      read,
      write,
      writeText,
      lastApplied,
    }
  })

export type SchemaMigrations = Effect.Success<ReturnType<typeof makeSchemaMigrations>>
