import { randomBytes } from "node:crypto"
import { type DatabaseSettings, Db } from "@coderops/db-core"
import { type Metrics, QueryMetrics } from "@coderops/metrics"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import pg from "pg"
import type { MigrationSet } from "./MigrationSource.js"
import { type MigratorOptions, makeMigrator } from "./Migrator.js"
import type { MigratorEvent } from "./MigratorEvent.js"
import { defaultStateTable, historyTable } from "./SchemaMigrations.js"
import { diffSnapshots, snapshotSchema } from "./SchemaSnapshot.js"

export interface VerifyOptions {
  /** Tables allowed to stay empty after the fixtures (Coder's test keeps such a list). */
  readonly exempt?: ReadonlyArray<string> | undefined
  /** The state table, timeouts and retries every run of the chain uses. */
  readonly migrator?: Omit<MigratorOptions, "applyFixtures" | "onEvent" | "txMode"> | undefined
  readonly onEvent?:
    | ((event: MigratorEvent | { readonly type: "phase"; readonly phase: string }) => void)
    | undefined
}

export interface VerifyReport {
  readonly migrations: number
  /** Tables checked for rows after the fixtures (all but the exempt ones). */
  readonly tables: number
  /** Tables left unchecked (exempt). */
  readonly exempted: number
  /** Tables without a row after up with fixtures (not exempt): each needs a fixture. */
  readonly emptyTables: ReadonlyArray<string>
  /** Objects still present after down of everything. */
  readonly leftAfterDown: ReadonlyArray<string>
  /** Schema after up→down→up that differs from the first up. */
  readonly schemaDiff: {
    readonly missing: ReadonlyArray<string>
    readonly added: ReadonlyArray<string>
  }
  readonly ok: boolean
}

/** The chain failed verify; `report` says what is wrong (empty tables, leftovers, schema diff). */
export class VerifyFailed extends Data.TaggedError("VerifyFailed")<{
  readonly report: VerifyReport
  readonly message: string
}> {}

export class ScratchDatabaseNotEmpty extends Data.TaggedError("ScratchDatabaseNotEmpty")<{
  readonly database: string
  readonly message: string
}> {}

/**
 * Coder's migration test suite as one call, on an empty scratch database: up all, down all,
 * up again with fixtures; then every table must hold a row (fixtures exist) and the schema
 * must equal the first up's (the down migrations undo exactly what the ups did).
 */
export const verifyChain = Effect.fn("Verify.chain")(function* (
  source: MigrationSet,
  options: VerifyOptions = {},
) {
  const db = yield* Db
  const stateTables = [
    options.migrator?.table ?? defaultStateTable,
    historyTable,
    `${historyTable}_id_seq`,
  ]
  const phase = (name: string) =>
    Effect.sync(() => options.onEvent?.({ type: "phase", phase: name }))
  const initial = yield* snapshotSchema({ exclude: stateTables })
  if (initial.length > 0) {
    return yield* new ScratchDatabaseNotEmpty({
      database: db.settings.database,
      message: `verify needs an empty database; ${db.settings.database} already has ${initial.length} schema ${initial.length === 1 ? "object" : "objects"}`,
    })
  }
  const plain = yield* makeMigrator(source, { ...options.migrator, onEvent: options.onEvent })
  const withFixtures = yield* makeMigrator(source, {
    ...options.migrator,
    onEvent: options.onEvent,
    applyFixtures: true,
  })

  yield* phase("up")
  yield* plain.up()
  const first = yield* snapshotSchema({ exclude: stateTables })
  yield* phase("down")
  yield* plain.down({ count: "all" })
  const leftAfterDown = yield* snapshotSchema({ exclude: stateTables })
  if (leftAfterDown.length > 0) {
    // Up again would only fail on what is left; report that instead.
    const report: VerifyReport = {
      migrations: source.migrations.length,
      tables: 0,
      exempted: 0,
      emptyTables: [],
      leftAfterDown,
      schemaDiff: { missing: [], added: [] },
      ok: false,
    }
    return yield* new VerifyFailed({
      report,
      message: `verify failed: left after down of everything: ${leftAfterDown.slice(0, 5).join("; ")}${leftAfterDown.length > 5 ? `; and ${leftAfterDown.length - 5} more` : ""}`,
    })
  }
  yield* phase("up with fixtures")
  yield* withFixtures.up()
  const second = yield* snapshotSchema({ exclude: stateTables })

  const tables = yield* db.query<{ name: string; has_rows: boolean }>(
    "ListTablesForVerify",
    `SELECT n.nspname || '.' || c.relname AS name, false AS has_rows
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg_toast%' AND NOT (c.relname = ANY($1::text[]))
      ORDER BY 1`,
    [stateTables],
  )
  const exempt = new Set(options.exempt ?? [])
  const emptyTables: Array<string> = []
  let exempted = 0
  for (const table of tables) {
    const bare = table.name.replace(/^public\./, "")
    if (exempt.has(bare) || exempt.has(table.name)) {
      exempted++
      continue
    }
    const [row] = yield* db.query<{ present: boolean }>(
      "TableHasRows",
      `SELECT EXISTS (SELECT 1 FROM ${table.name.split(".").map(pg.escapeIdentifier).join(".")}) AS present`,
    )
    if (!row?.present) emptyTables.push(bare)
  }
  const schemaDiff = diffSnapshots(first, second)
  const report: VerifyReport = {
    migrations: source.migrations.length,
    tables: tables.length - exempted,
    exempted,
    emptyTables,
    leftAfterDown: [],
    schemaDiff,
    ok:
      emptyTables.length === 0 && schemaDiff.missing.length === 0 && schemaDiff.added.length === 0,
  }
  if (!report.ok) {
    const problems = [
      ...(emptyTables.length > 0
        ? [`no row after the fixtures in: ${emptyTables.join(", ")}`]
        : []),
      ...(schemaDiff.missing.length + schemaDiff.added.length > 0
        ? [
            `schema after up→down→up differs from the first up: ${[...schemaDiff.missing.map((l) => `- ${l}`), ...schemaDiff.added.map((l) => `+ ${l}`)].slice(0, 5).join("; ")}`,
          ]
        : []),
    ]
    return yield* new VerifyFailed({
      report,
      message: `verify failed: ${problems.join(" | ")}`,
    })
  }
  return report
})

/** High half of the advisory lock a run holds while its scratch database exists ("cdrv"). */
const scratchLockSpace = 0x63647276n
const scratchPrefix = "coderops_verify_"

/**
 * Drops scratch databases that runs killed outright (SIGKILL, a lost host) left behind:
 * those nobody is connected to and whose run holds no lock. The name gives the owner's
 * pid (for people) and its lock (for this check). A database in use is never dropped.
 */
const dropAbandonedScratchDatabases = Effect.fn("Verify.dropAbandonedScratchDatabases")(
  function* () {
    const db = yield* Db
    const idle = yield* db.query<{ name: string }>(
      "ListIdleScratchDatabases",
      // Only names made of the characters coderops uses: each is spliced into DROP DATABASE.
      `SELECT d.datname AS name FROM pg_database d
        WHERE d.datname ~ $1
          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
      [`^${scratchPrefix}[0-9a-f_]+$`],
    )
    if (idle.length === 0) return
    const held = yield* db.query<{ id: string }>(
      "ListScratchDatabaseLocks",
      `SELECT objid::text AS id FROM pg_locks
        WHERE locktype = 'advisory' AND objsubid = 1 AND classid = $1::bigint::oid`,
      [scratchLockSpace.toString()],
    )
    const inUse = new Set(held.map((row) => Number(row.id)))
    for (const { name } of idle) {
      const lock = /^coderops_verify_\d+_([0-9a-f]{8})$/.exec(name)?.[1]
      if (lock !== undefined && inUse.has(Number.parseInt(lock, 16))) continue
      // Without FORCE: a session that connected meanwhile keeps it (55006, ignored).
      yield* Effect.ignore(
        db.execute("DropAbandonedScratchDatabase", `DROP DATABASE IF EXISTS ${name}`),
      )
    }
  },
)

/**
 * Creates a scratch database on the server `Db` points at, runs `body` against it with its
 * own `Db`, and drops it afterwards (also on failure or interruption). First drops the
 * scratch databases of earlier runs that were killed before they could. `poolSize`: the
 * body's connections at once (default 2).
 */
export const withScratchDatabase = <A, E>(
  body: Effect.Effect<A, E, Db | Metrics>,
  options: { readonly poolSize?: number | undefined } = {},
) =>
  Effect.gen(function* () {
    const db = yield* Db
    const lock = randomBytes(4).readUInt32BE(0)
    const name = `${scratchPrefix}${process.pid}_${lock.toString(16).padStart(8, "0")}`
    const settings: DatabaseSettings = {
      ...db.settings,
      database: name,
      poolSize: options.poolSize ?? 2,
    }
    // Held from before the database exists until after it is gone: it marks it as in use.
    return yield* db.withAdvisoryLock(
      (scratchLockSpace << 32n) | BigInt(lock),
      Effect.andThen(
        dropAbandonedScratchDatabases(),
        Effect.acquireUseRelease(
          db.execute("CreateScratchDatabase", `CREATE DATABASE ${name}`),
          () => Effect.provide(body, QueryMetrics.layerFor(settings)),
          () =>
            Effect.ignore(
              db.execute("DropScratchDatabase", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
            ),
        ),
      ),
      { wait: true },
    )
  })
