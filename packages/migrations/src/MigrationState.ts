import { Db } from "@coderops/db-core"
import * as Effect from "effect/Effect"

export interface MigrationState {
  readonly version: number
  readonly dirty: boolean
}

/**
 * Whether a migration is applied in `state`: below its version, or at it and not dirty
 * (the dirty version is the one that failed part-way). Nothing is applied without a state.
 */
export const isApplied = (state: MigrationState | undefined, version: number): boolean =>
  state !== undefined && (version < state.version || (version === state.version && !state.dirty))

/**
 * golang-migrate's state: the single row of `schema_migrations`; undefined when the row
 * is missing. Fails (undefined_table) when the table itself is missing.
 */
export const readMigrationState = Effect.fn("MigrationState.read")(function* (
  table = "schema_migrations",
) {
  const db = yield* Db
  // `table` is a plain identifier checked by the caller (SchemaMigrations) or the default.
  const rows = yield* db.query<{ version: string; dirty: boolean }>(
    "GetMigrationVersion",
    `SELECT version, dirty FROM ${table} LIMIT 1`,
  )
  return rows.map((row): MigrationState => ({ version: Number(row.version), dirty: row.dirty }))[0]
})
