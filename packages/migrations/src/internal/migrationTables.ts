import type { DbShape } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import type { Direction, HistoryEntry } from "../SchemaMigrations.js"

/** The state table and the history table, each named with its schema. */
export interface MigrationTables {
  readonly state: string
  readonly history: string
}

/** A string as a SQL expression whose only characters are letters, digits and punctuation. */
const hexText = (value: string) =>
  `convert_from(decode('${Buffer.from(value, "utf8").toString("hex")}', 'hex'), 'UTF8')`

/** Creates whichever of the two tables is missing; writes nothing when both exist. */
export const createMissingTables = (db: DbShape, tables: MigrationTables) =>
  Effect.gen(function* () {
    const [present] = yield* db.query<{ state: boolean; history: boolean }>(
      "FindMigrationTables",
      "SELECT to_regclass($1) IS NOT NULL AS state, to_regclass($2) IS NOT NULL AS history",
      [tables.state, tables.history],
    )
    if (!present?.state) {
      yield* db.script(
        "CreateStateTable",
        `CREATE TABLE IF NOT EXISTS ${tables.state} (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`,
      )
    }
    if (!present?.history) {
      yield* db.script(
        "CreateHistoryTable",
        `CREATE TABLE IF NOT EXISTS ${tables.history} (
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
         COMMENT ON TABLE ${tables.history} IS 'coderops: when each migration ran, how long it took, and the checksum of the file, for drift reports. Optional.';`,
      )
    }
  })

/** The version as stored: no version is no row, a dirty "no version" is -1. */
export const storedVersion = (version: number | undefined, dirty: boolean) =>
  version ?? (dirty ? -1 : null)

/**
 * The statement that empties the table and writes the version, as golang-migrate does
 * (no version: the table stays empty; a dirty "no version" is -1), optionally with the
 * history row; `values` are SQL expressions: parameters, or literals.
 */
export const writeStatement = (
  tables: MigrationTables,
  values: {
    readonly version: string
    readonly dirty: string
    readonly history?: ReadonlyArray<string> | undefined
  },
) => {
  const history = values.history
    ? `, recorded AS (
         INSERT INTO ${tables.history} (version, direction, name, checksum, started_at, finished_at, duration_ms, applied_by)
         VALUES (${values.history.join(", ")}))`
    : ""
  // Other versions' rows go, and the version is upserted: one row remains, as after
  // golang-migrate's TRUNCATE + INSERT (a DELETE and an INSERT of the same key cannot
  // share one statement).
  return `WITH cleared AS (DELETE FROM ${tables.state} WHERE version IS DISTINCT FROM ${values.version})${history}
     INSERT INTO ${tables.state} (version, dirty) SELECT ${values.version}, ${values.dirty} WHERE ${values.version} IS NOT NULL
     ON CONFLICT (version) DO UPDATE SET dirty = EXCLUDED.dirty`
}

/**
 * The clean version write and its history row as SQL text (see `SchemaMigrations.writeText`);
 * the tables' names must need no quotes.
 */
export const writeText = (
  tables: MigrationTables,
  appliedBy: string,
  version: number | undefined,
  entry: Pick<HistoryEntry, "version" | "direction" | "name" | "checksum">,
) => {
  if (!/^[0-9a-f]+$/.test(entry.checksum)) {
    throw new Error(`checksum ${entry.checksum} of ${entry.name} is not lower-case hex`)
  }
  const stored = storedVersion(version, false)
  return writeStatement(tables, {
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
      hexText(appliedBy),
    ],
  })
}

/** The last `up` of each version still applied, for drift and durations. */
export const lastApplied = (db: DbShape, tables: MigrationTables) =>
  Effect.gen(function* () {
    const [exists] = yield* db.query<{ present: boolean }>(
      "FindHistoryTable",
      "SELECT to_regclass($1) IS NOT NULL AS present",
      [tables.history],
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
         FROM ${tables.history} ORDER BY version, id DESC`,
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
