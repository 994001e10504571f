import {
  type DatabaseSettings,
  Db,
  describeTarget,
  type PrivateServer,
  privateServer,
  tableSizes,
} from "@coderops/db-core"
import { purgeExpiredApiKeys } from "@coderops/dbpurge"
import { buildScratchSchema, readDatabaseVersion } from "@coderops/lint"
import {
  catalogSnapshot,
  compareSnapshots,
  defaultStateTable,
  historyTable,
  isApplied,
  type Migration,
  type MigrationSet,
  type SchemaDrift,
  type SchemaObject,
  type Statement,
  splitStatements,
  withScratchDatabase,
} from "@coderops/migrations"
import {
  generateFaithfulData,
  readStatistics,
  type TableStatistics,
  tablesWithParents,
} from "@coderops/synthetic"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { type CacheSizes, type CacheWarning, cacheWarnings, readCacheSizes } from "./CacheFit.js"
import { type Estimate, extrapolate } from "./Extrapolate.js"
import { type MigrationMeasure, runInstrumented } from "./InstrumentedRun.js"
import { attributeToLocks } from "./internal/attribute.js"
import { type ProbeTarget, probeTargets, type TableBlocking, withProbe } from "./Probe.js"
import {
  memoryParameters,
  readServerMemory,
  type ServerMemory,
  scaledMemory,
} from "./ScratchMemory.js"
import { checkScratchServer, onScratchServer } from "./ScratchServer.js"

/** coderd's lock_timeout per migration. */
const defaultLockTimeout: Duration.Input = "3 seconds"

export interface RehearsalOptions {
  /**
   * `Db` is the database the migrations are for (its version decides what is pending, its
   * row counts and statistics shape the data). When false, `Db` is only a server for the
   * scratch databases: the migrations from `from` (default: the last) are rehearsed and
   * `rows` gives the counts.
   */
  readonly database: boolean
  /**
   * Rehearse from this version on, instead of the database's pending migrations (the ones
   * before it make the schema). Without a database the default is the last migration.
   */
  readonly from?: number | undefined
  /** golang-migrate's state table. */
  readonly table?: string | undefined
  /** Rows per table at 100%, instead of the database's counts. */
  readonly rows?: Readonly<Record<string, number>> | undefined
  /**
   * Fractions of the real row counts to rehearse at; default 0.01, 0.03, 0.1, or only 100%
   * when every touched table has fewer than `wholeBelowRows` rows.
   */
  readonly scales?: ReadonlyArray<number> | undefined
  /** Also rehearse at 100%. */
  readonly full?: boolean | undefined
  /** lock_timeout of each migration (Coder's default: 3 s). */
  readonly lockTimeout?: Duration.Input | undefined
  /**
   * Also rehearse after a purge of API keys expired over 7 days; default: when a pending
   * migration touches api_keys.
   */
  readonly comparePurge?: boolean | undefined
  readonly seed?: number | undefined
  /**
   * A server configured like production to make the scratch databases on (its role needs
   * CREATEDB); default: a private server of the rehearsal's, its memory that of `Db`'s
   * server scaled with the rows at each scale.
   */
  readonly scratchServer?: DatabaseSettings | undefined
  readonly probeThresholdSeconds?: number | undefined
  /** Called as the rehearsal goes: a line of what it does. */
  readonly onProgress?: ((step: string) => void) | undefined
}

export interface MeasuredMigration extends MigrationMeasure {
  readonly blocking: ReadonlyArray<TableBlocking>
}

/** One rehearsal of the pending migrations at one scale. */
export interface ScaleRun {
  readonly scale: number
  /** Rows loaded per table. */
  readonly rows: Readonly<Record<string, number>>
  readonly dataSeconds: number
  /** API keys the purge removed first (the purged variant only). */
  readonly purgedRows: number | undefined
  /** Columns filled by type, not statistics (table.column). */
  readonly fallbackColumns: ReadonlyArray<string>
  /** The generated tables' sizes and the scratch server's shared_buffers. */
  readonly cache: CacheSizes
  readonly migrations: ReadonlyArray<MeasuredMigration>
}

export interface Variant {
  /** `as-is`, or `purged`: after a purge of API keys expired over 7 days. */
  readonly name: "as-is" | "purged"
  readonly runs: ReadonlyArray<ScaleRun>
  readonly estimates: ReadonlyArray<Estimate>
}

export interface Rehearsal {
  readonly databaseVersion: number | undefined
  readonly targetVersion: number | undefined
  readonly pending: ReadonlyArray<{ readonly version: number; readonly name: string }>
  /** Rows per table at 100% (the database's or the given counts). */
  readonly realRows: Readonly<Record<string, number>>
  /** Where the data's shape came from: the database's statistics, or column types only. */
  readonly dataFrom: "statistics" | "types"
  /** Columns filled by type, not statistics (table.column). */
  readonly fallbackColumns: ReadonlyArray<string>
  /** API keys a purge would remove in the database (expired over 7 days). */
  readonly purgeableApiKeys: number | undefined
  readonly scales: ReadonlyArray<number>
  readonly lockTimeoutSeconds: number
  /**
   * Where the scratch databases were made (`user@host:port/database`, no password); undefined
   * on the rehearsal's private server.
   */
  readonly scratchServer: string | undefined
  /**
   * The memory of the server the rehearsal stands in for (`Db`'s), which the private scratch
   * server had scaled with the rows at each scale; undefined on a given scratch server.
   */
  readonly scaledFrom: ServerMemory | undefined
  /**
   * How the database's schema differs from the one its version's migrations make (the
   * scratch schema the rehearsal ran on); undefined without a database.
   */
  readonly drift: SchemaDrift | undefined
  readonly variants: ReadonlyArray<Variant>
  /** Tables that fitted shared_buffers at the scales but would not at 100% (as is). */
  readonly cacheWarnings: ReadonlyArray<CacheWarning>
  readonly seconds: number
}

const defaultScales = [0.01, 0.03, 0.1]

/**
 * Tables with fewer rows than this are rehearsed whole by default: fractions of them are a
 * few thousand rows, whose costs are lost in a busy server's noise, while the whole table
 * costs no more to rehearse than 10% of a large one.
 */
export const wholeBelowRows = 100_000

/**
 * Whether the rehearsal ran at 100% only (small tables, or scales given so): its figures
 * are measured at the real row counts, not extrapolated.
 */
export const measuredWhole = (rehearsal: Pick<Rehearsal, "scales">) =>
  rehearsal.scales.every((scale) => scale === 1)

const bare = (relation: string) => relation.replace(/^public\./, "")

const parsed = (migrations: ReadonlyArray<Migration>) =>
  Effect.forEach(migrations, (migration) =>
    Effect.map(
      Effect.promise(() => splitStatements(migration.up.sql)),
      (statements) => ({ migration, statements }),
    ),
  )

interface Plan {
  readonly base: ReadonlyArray<Migration>
  readonly pending: ReadonlyArray<{
    readonly migration: Migration
    readonly statements: ReadonlyArray<Statement>
  }>
  readonly tables: ReadonlyArray<string>
  readonly realRows: Readonly<Record<string, number>>
  readonly statistics: ReadonlyArray<TableStatistics>
  /** golang-migrate's state tables, left out of the schema comparison. */
  readonly stateTables: ReadonlyArray<string>
  /** Probe targets per migration version: every scale has the same schema, read once. */
  readonly targets: Map<number, ReadonlyArray<ProbeTarget>>
  /** The memory the private scratch server scales; undefined on a given scratch server. */
  readonly memory: ServerMemory | undefined
}

/** Loads one scale's data into the scratch database, purges if asked, runs and probes. */
const rehearseAt = (
  plan: Plan,
  scale: number,
  purge: boolean,
  options: RehearsalOptions,
  onSchema: (objects: ReadonlyArray<SchemaObject>) => void,
) =>
  Effect.gen(function* () {
    const db = yield* Db
    yield* buildScratchSchema(db, plan.base)
    onSchema(yield* catalogSnapshot({ exclude: plan.stateTables }))
    const dataStarted = performance.now()
    const rows = Object.fromEntries(
      Object.entries(plan.realRows).map(([t, n]) => [t, Math.max(1, Math.round(n * scale))]),
    )
    const data = yield* generateFaithfulData({
      tables: plan.tables,
      statistics: plan.statistics,
      rows,
      seed: options.seed ?? 1,
      // The tables their keys need (users for api_keys) at the same fraction of their counts.
      scale,
    })
    // As production's tables are: hint bits set, all-visible and frozen, statistics read.
    yield* db.execute("RehearseVacuum", "VACUUM (FREEZE, ANALYZE)")
    const purgedRows = purge
      ? (yield* purgeExpiredApiKeys({ retention: "7 days" })).purged
      : undefined
    // A checkpoint, so that the migration's first change to each page writes a full-page
    // image to the WAL as it does in production. Without it, pages loaded since the last
    // checkpoint are changed without one: at small scales the checkpoint does not come
    // during the run, at 100% it may, and costs (WAL, time) no longer scale with rows.
    yield* Effect.ignore(db.execute("RehearseCheckpoint", "CHECKPOINT"))
    const cache = yield* readCacheSizes(
      data.tables.map((t) => t.table),
      plan.memory?.sharedBuffersBytes,
    )
    const dataSeconds = (performance.now() - dataStarted) / 1000
    const migrations: Array<MeasuredMigration> = []
    for (const { migration, statements } of plan.pending) {
      let targets = plan.targets.get(migration.version)
      if (targets === undefined) {
        targets = yield* probeTargets([
          ...new Set(statements.flatMap((s) => s.relations.map(bare))),
        ])
        plan.targets.set(migration.version, targets)
      }
      const origin = performance.now()
      const { result, blocking } = yield* withProbe(
        targets,
        db.withSession(
          runInstrumented(
            db,
            migration,
            statements,
            { lockTimeout: options.lockTimeout ?? defaultLockTimeout },
            origin,
          ),
        ),
        { origin, thresholdSeconds: options.probeThresholdSeconds },
      )
      // Outside a transaction the locks cannot be read after each statement: waits stay raw.
      migrations.push({
        ...result,
        blocking: result.transactional ? attributeToLocks(blocking, result.locks) : blocking,
      })
      if (result.failed !== undefined) break
    }
    const loaded = Object.fromEntries(data.tables.map((t) => [t.table, t.written]))
    const fallbackColumns = data.fallbacks.map((c) => `${c.table}.${c.column}`)
    return {
      scale,
      rows: loaded,
      dataSeconds,
      purgedRows,
      fallbackColumns,
      cache,
      migrations,
    } satisfies ScaleRun
  })

/** Real row counts of the tables: `rows` first, then the database's estimates. */
const countRows = (tables: ReadonlyArray<string>, options: RehearsalOptions) =>
  Effect.gen(function* () {
    const counts: Record<string, number> = {}
    if (options.database) {
      for (const size of yield* tableSizes(tables)) counts[size.name] = size.rowEstimate
    }
    for (const [table, rows] of Object.entries(options.rows ?? {})) counts[table] = rows
    return counts
  })

/**
 * Rehearses the pending migrations on scratch databases (on `Db`'s server, never `Db`'s
 * database): at each scale, the schema at the database's version, data shaped by its
 * statistics at that fraction of its row counts, then each migration run as `migrate up`
 * runs it, measured per statement, while a probe plays coderd on the tables it touches.
 * Each statement's cost and each table's blocked time are fitted against rows and
 * extrapolated to the real counts; with `comparePurge`, all of it again after a purge of
 * expired API keys.
 */
export const rehearseMigrations = Effect.fn("Rehearsal.run")(function* (
  source: MigrationSet,
  options: RehearsalOptions,
) {
  const started = performance.now()
  const progress = options.onProgress ?? (() => {})
  const state = options.database
    ? yield* readDatabaseVersion(options.table ?? "schema_migrations")
    : undefined
  const from = options.from ?? (options.database ? undefined : source.migrations.at(-1)?.version)
  const pendingMigrations = source.migrations.filter((m) =>
    from !== undefined ? m.version >= from : !isApplied(state, m.version),
  )
  const first = pendingMigrations[0]?.version ?? Number.POSITIVE_INFINITY
  const pending = yield* parsed(pendingMigrations)
  const touched = [
    ...new Set(pending.flatMap((p) => p.statements.flatMap((s) => s.relations.map(bare)))),
  ]
  const realRows = yield* countRows(touched, options)
  const tables = Object.keys(realRows).filter((t) => touched.includes(t))
  const statistics = options.database ? yield* readStatistics(yield* tablesWithParents(tables)) : []
  const purgeableApiKeys =
    options.database && realRows.api_keys !== undefined
      ? (yield* purgeExpiredApiKeys({ retention: "7 days", dryRun: true })).purged
      : undefined
  const memory = options.scratchServer === undefined ? yield* readServerMemory() : undefined
  const plan: Plan = {
    base: source.migrations.filter((m) => m.version < first),
    pending,
    tables,
    realRows,
    statistics,
    stateTables: [options.table ?? defaultStateTable, historyTable, `${historyTable}_id_seq`],
    targets: new Map(),
    memory,
  }
  const small =
    options.scales === undefined && tables.every((t) => (realRows[t] ?? 0) < wholeBelowRows)
  const scales = small
    ? [1]
    : [...new Set([...(options.scales ?? defaultScales), ...(options.full ? [1] : [])])].sort(
        (a, b) => a - b,
      )
  if (options.scratchServer !== undefined)
    yield* onScratchServer(checkScratchServer(), options.scratchServer)
  const comparePurge = options.comparePurge ?? touched.includes("api_keys")
  let scratchSchema: ReadonlyArray<SchemaObject> | undefined
  /** One scale's run, on the given scratch server or on the private one with scaled memory. */
  const runAt = (server: PrivateServer | undefined, scale: number, purge: boolean) =>
    Effect.gen(function* () {
      // A restart only where the scale's memory differs from the server's.
      if (server !== undefined && memory !== undefined)
        yield* server.restart(memoryParameters(scaledMemory(memory, scale)))
      return yield* onScratchServer(
        withScratchDatabase(
          rehearseAt(plan, scale, purge, options, (objects) => {
            scratchSchema ??= objects
          }),
          { poolSize: tables.length + 2 * touched.length + 3 },
        ),
        server?.settings ?? options.scratchServer,
      )
    })
  const variants = yield* Effect.scoped(
    Effect.gen(function* () {
      if (memory !== undefined) progress("starting a server for the scratch databases")
      const server =
        memory === undefined
          ? undefined
          : yield* privateServer(memoryParameters(scaledMemory(memory, scales[0] ?? 1)))
      const out: Array<Variant> = []
      for (const name of comparePurge ? (["as-is", "purged"] as const) : (["as-is"] as const)) {
        const runs: Array<ScaleRun> = []
        for (const scale of scales) {
          progress(`${name === "purged" ? "after a purge, " : ""}at ${scale * 100}% of the rows`)
          runs.push(yield* runAt(server, scale, name === "purged"))
        }
        out.push({
          name,
          runs,
          estimates: extrapolate(
            runs,
            realRows,
            scales.filter((s) => s < 1),
          ),
        })
      }
      return out
    }),
  )
  const targetVersion = source.migrations.at(-1)?.version
  const drift =
    options.database && scratchSchema !== undefined
      ? compareSnapshots(scratchSchema, yield* catalogSnapshot({ exclude: plan.stateTables }))
      : undefined
  return {
    databaseVersion: state?.version,
    targetVersion,
    pending: pendingMigrations.map((m) => ({ version: m.version, name: m.up.name })),
    realRows,
    dataFrom: statistics.length > 0 ? "statistics" : "types",
    fallbackColumns: variants[0]?.runs[0]?.fallbackColumns ?? [],
    purgeableApiKeys,
    scales,
    lockTimeoutSeconds: Duration.toSeconds(options.lockTimeout ?? defaultLockTimeout),
    scratchServer:
      options.scratchServer === undefined ? undefined : describeTarget(options.scratchServer),
    scaledFrom: memory,
    drift,
    variants,
    cacheWarnings: cacheWarnings(variants[0]?.runs ?? []),
    seconds: (performance.now() - started) / 1000,
  } satisfies Rehearsal
})
