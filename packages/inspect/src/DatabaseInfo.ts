import {
  Db,
  largestTables,
  redactedUrlOf,
  requireSupportedServer,
  type TableSize,
  tableSizes,
} from "@coderops/db-core"
import { type MigrationState, makeSchemaMigrations } from "@coderops/migrations"
import * as Effect from "effect/Effect"

export interface DatabaseInfo {
  readonly url: string
  readonly source: string
  readonly serverVersion: string
  readonly database: string
  readonly databaseBytes: number
  readonly largestTables: ReadonlyArray<TableSize>
  /** From golang-migrate's `schema_migrations`; undefined when the table or its row is missing. */
  readonly migration: MigrationState | undefined
  readonly looksLikeCoder: boolean
  /** A Coder v1 database (`migration_cursor`): coderops refuses to migrate it. */
  readonly coderV1: boolean
  /** The Coder tables found, the evidence behind `looksLikeCoder`. */
  readonly coderTables: ReadonlyArray<string>
}

/** Tables every Coder v2 database has; all present = "looks like Coder". */
const coderMarkers = [
  "schema_migrations",
  "users",
  "organizations",
  "templates",
  "workspaces",
  "api_keys",
]

/** Server, size, largest tables and migration state of the connected database. */
export const inspectDatabase = Effect.fn("DatabaseInfo.inspect")(function* (options?: {
  readonly tableLimit?: number
}) {
  const db = yield* Db
  const version = yield* requireSupportedServer()
  const [size] = yield* db.query<{ name: string; bytes: string }>(
    "GetDatabaseSize",
    "SELECT current_database() AS name, pg_database_size(current_database()) AS bytes",
  )
  const tables = yield* largestTables(options?.tableLimit ?? 10)
  const present = yield* tableSizes(coderMarkers)
  const names = new Set(present.map((row) => row.name))
  // The migrations package reads golang-migrate's state and recognises Coder v1: one owner each.
  const schemaMigrations = yield* makeSchemaMigrations()
  const migration = yield* schemaMigrations.read
  const coderV1 = yield* schemaMigrations.refuseCoderV1.pipe(
    Effect.as(false),
    Effect.catchTag("CoderV1Database", () => Effect.succeed(true)),
  )
  return {
    url: redactedUrlOf(db.settings),
    source: db.settings.source,
    serverVersion: version.text,
    database: size!.name,
    databaseBytes: Number(size!.bytes),
    largestTables: tables,
    migration,
    looksLikeCoder: coderMarkers.every((name) => names.has(name)),
    coderV1,
    coderTables: [...names],
  } satisfies DatabaseInfo
})
