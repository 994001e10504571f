import { type DatabaseSettings, Db, type DbShape, redactedUrlOf } from "@coderops/db-core"
import { type Metrics, QueryMetrics } from "@coderops/metrics"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

/** The demo's own database, beside the server's others (never Coder's `coder`). */
export const demoDatabaseName = "coderops_demo"

export interface DemoDatabase {
  readonly name: string
  /** A database of that name existed (a previous run kept it) and was dropped first. */
  readonly replaced: boolean
  readonly settings: DatabaseSettings
  /** How to reach it: its URL with the password replaced. */
  readonly redactedUrl: string
}

// The name is a constant identifier: safe to splice into CREATE and DROP DATABASE.
const dropDemo = (db: DbShape) =>
  db.execute("DropDemoDatabase", `DROP DATABASE IF EXISTS ${demoDatabaseName} WITH (FORCE)`)

const demoExists = (db: DbShape) =>
  Effect.map(
    db.query("FindDemoDatabase", "SELECT 1 FROM pg_database WHERE datname = $1", [
      demoDatabaseName,
    ]),
    (rows) => rows.length > 0,
  )

/**
 * Creates the demo database on the server `Db` points at (dropping the one an earlier
 * run kept), runs `body` with a `Db` of its own on it, and drops it afterwards: also on
 * failure or interruption, and unless `keep` after success. `poolSize`: the body's
 * connections at once.
 */
export const withDemoDatabase = <A, E, R>(
  body: (database: DemoDatabase) => Effect.Effect<A, E, R | Db | Metrics>,
  options: { readonly keep: boolean; readonly poolSize: number },
) =>
  Effect.gen(function* () {
    const db = yield* Db
    const replaced = yield* demoExists(db)
    const settings: DatabaseSettings = {
      ...db.settings,
      database: demoDatabaseName,
      poolSize: options.poolSize,
    }
    const database: DemoDatabase = {
      name: demoDatabaseName,
      replaced,
      settings,
      redactedUrl: redactedUrlOf(settings),
    }
    return yield* Effect.acquireUseRelease(
      Effect.andThen(
        dropDemo(db),
        db.execute("CreateDemoDatabase", `CREATE DATABASE ${demoDatabaseName}`),
      ),
      () => Effect.provide(body(database), QueryMetrics.layerFor(settings)),
      (_, exit) =>
        options.keep && Exit.isSuccess(exit) ? Effect.void : Effect.ignore(dropDemo(db)),
    )
  })

/** Drops the database a kept demo left; whether there was one. */
export const dropDemoDatabase = Effect.fn("DemoDatabase.drop")(function* () {
  const db = yield* Db
  const existed = yield* demoExists(db)
  if (existed) yield* dropDemo(db)
  return { name: demoDatabaseName, existed }
})
