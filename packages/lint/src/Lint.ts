import { Db, type DbShape, type TableSize, tableSizes } from "@coderops/db-core"
import { purgeExpiredApiKeys } from "@coderops/dbpurge"
import {
  isApplied,
  type Migration,
  type MigrationSet,
  readMigrationState,
  SqlParseError,
  type Statement,
  splitStatements,
  withScratchDatabase,
} from "@coderops/migrations"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import {
  type CostModel,
  defaultCostModel,
  defaultThresholds,
  type Thresholds,
} from "./CostModel.js"
import type { Finding, LintReport, MigrationLint } from "./Finding.js"
import { confirmFiltered } from "./internal/explain.js"
import type { Hit } from "./internal/hits.js"
import { buildScratchSchema } from "./internal/scratch.js"
import { type SizingContext, toFinding } from "./internal/sizing.js"
import { type Suppression, suppressionsOf } from "./internal/suppress.js"
import { traceMigration } from "./internal/trace.js"
import { rules } from "./Rules.js"

/** Which migrations to lint: the database's pending ones, all, or from a version on. */
export type LintScope =
  | { readonly kind: "pending" }
  | { readonly kind: "all" }
  | { readonly kind: "from"; readonly version: number }

export interface LintOptions {
  /**
   * `Db` is the database the migrations are for: its version decides what is pending, and
   * its tables' sizes scale the findings. When false, `Db` is only a server to make the
   * scratch database on (every migration is pending, nothing is sized).
   */
  readonly database: boolean
  readonly scope?: LintScope | undefined
  /** golang-migrate's state table. */
  readonly table?: string | undefined
  /** Rule ids to leave out entirely. */
  readonly ignore?: ReadonlyArray<string> | undefined
  readonly thresholds?: Partial<Thresholds> | undefined
  readonly costModel?: Partial<CostModel> | undefined
}

/** A version given to start from that the directory does not hold. */
export class UnknownLintVersion extends Data.TaggedError("UnknownLintVersion")<{
  readonly version: number
  readonly message: string
}> {}

/** The database's migration state, or undefined when it has no state table (an empty database). */
export const readDatabaseVersion = (table: string) =>
  Effect.gen(function* () {
    const db = yield* Db
    const [found] = yield* db.query<{ present: boolean }>(
      "LintFindStateTable",
      "SELECT to_regclass($1) IS NOT NULL AS present",
      [table],
    )
    if (found?.present !== true) return undefined
    return yield* readMigrationState(table)
  })

/** Every statement and its suppressions, or the parse error as a hit-less finding. */
const parse = (migration: Migration) =>
  Effect.tryPromise({
    try: () => splitStatements(migration.up.sql),
    catch: (cause) => cause,
  }).pipe(
    Effect.map((statements) => ({
      statements,
      suppressions: suppressionsOf(migration.up.sql, statements),
      error: undefined as SqlParseError | undefined,
    })),
    Effect.catch((cause) =>
      cause instanceof SqlParseError
        ? Effect.succeed({
            statements: [] as ReadonlyArray<Statement>,
            suppressions: [],
            error: cause,
          })
        : Effect.die(cause),
    ),
  )

interface Traced {
  readonly migration: Migration
  readonly statements: number
  readonly hits: ReadonlyArray<Hit>
  readonly suppressions: ReadonlyArray<ReadonlyArray<Suppression>>
  readonly statementIndex: ReadonlyMap<Statement, number>
  readonly parseError: SqlParseError | undefined
}

/** Builds the scratch schema up to `base`, then traces each migration on it. */
const traceAll = (
  source: MigrationSet,
  linted: ReadonlyArray<Migration>,
  base: number | undefined,
) =>
  Effect.gen(function* () {
    const db = yield* Db
    const started = performance.now()
    if (base !== undefined) {
      yield* buildScratchSchema(
        db,
        source.migrations.filter((m) => m.version <= base),
      )
    }
    const scratchSeconds = (performance.now() - started) / 1000
    const traced: Array<Traced> = []
    for (const migration of linted) {
      const parsed = yield* parse(migration)

      const hits =
        parsed.error === undefined
          ? yield* db.withSession(
              traceMigration(db, parsed.statements, !migration.up.noTransaction),
            )
          : []
      traced.push({
        migration,
        statements: parsed.statements.length,
        hits,
        suppressions: parsed.suppressions,
        statementIndex: new Map(parsed.statements.map((s, i) => [s, i])),
        parseError: parsed.error,
      })
    }
    return { traced, scratchSeconds }
  })

const parseFinding = (migration: Migration, error: SqlParseError): Finding => ({
  rule: rules.parseError.id,
  severity: "error",
  version: migration.version,
  file: migration.up.path,
  line: error.line,
  column: error.column,
  table: undefined,
  message: `syntax error: ${error.message}`,
  why: rules.parseError.why,
  instead: rules.parseError.instead,
  locks: [],
  work: undefined,
  passes: 1,
  size: undefined,
  purgeableRows: undefined,
  ignored: undefined,
})

/** Findings for silencing comments without a reason. */
const reasonless = (t: Traced): ReadonlyArray<Finding> =>
  t.suppressions.flatMap((list, index) =>
    list
      .filter((s) => s.reason === "")
      .map((s) => ({
        ...parseFinding(t.migration, new SqlParseError({ message: "", line: 0, column: 0 })),
        rule: rules.ignoreWithoutReason.id,
        severity: rules.ignoreWithoutReason.severity,
        line: t.hits.find((h) => t.statementIndex.get(h.statement) === index)?.statement.line ?? 1,
        column: 1,
        message: `coderops-lint-ignore ${s.rule} has no reason`,
        why: rules.ignoreWithoutReason.why,
        instead: rules.ignoreWithoutReason.instead,
      })),
  )

/** Real sizes of the tables the hits name, and how many API keys a purge would remove. */
const measure = (real: DbShape, traced: ReadonlyArray<Traced>) =>
  Effect.gen(function* () {
    const names = [...new Set(traced.flatMap((t) => t.hits.flatMap((h) => h.table ?? [])))]
    const sizes = yield* Effect.provideService(tableSizes(names), Db, real)
    const bySize = new Map<string, TableSize>(sizes.map((s) => [s.name, s]))
    const purgeable = bySize.has("api_keys")
      ? (yield* Effect.provideService(
          purgeExpiredApiKeys({ retention: "7 days", dryRun: true }),
          Db,
          real,
        )).purged
      : undefined
    return { sizes: bySize, purgeable }
  })

const byPosition = (a: Finding, b: Finding) =>
  a.version - b.version || a.line - b.line || a.column - b.column

/**
 * Lints migrations against the schema they start from: applies the migrations before them
 * to a scratch database on `Db`'s server (never `Db`'s database itself), then traces and
 * analyses them one by one, and, when `Db` is the real database, sizes every finding on
 * an existing table with its rows and an estimated lock duration.
 */
export const lintMigrations = Effect.fn("Lint.migrations")(function* (
  source: MigrationSet,
  options: LintOptions,
) {
  const started = performance.now()
  const real = yield* Db
  const state = options.database
    ? yield* readDatabaseVersion(options.table ?? "schema_migrations")
    : undefined
  const scope = options.scope ?? { kind: "pending" }
  if (scope.kind === "from" && !source.migrations.some((m) => m.version === scope.version)) {
    return yield* new UnknownLintVersion({
      version: scope.version,
      message: `the directory has no migration ${scope.version}`,
    })
  }
  const linted = source.migrations.filter((m) =>
    scope.kind === "all"
      ? true
      : scope.kind === "from"
        ? m.version >= scope.version
        : !isApplied(state, m.version),
  )
  const first = linted[0]?.version
  const base = source.migrations
    .filter((m) => first !== undefined && m.version < first)
    .at(-1)?.version
  const lintStarted = performance.now()
  const { traced, scratchSeconds } =
    linted.length === 0
      ? { traced: [] as ReadonlyArray<Traced>, scratchSeconds: 0 }
      : yield* withScratchDatabase(traceAll(source, linted, base))
  const measured = options.database ? yield* measure(real, traced) : undefined
  const confirmed: Array<Traced> = []
  for (const t of traced) {
    const hits = yield* confirmFiltered(
      options.database ? real : undefined,
      measured?.sizes ?? new Map(),
      t.hits,
    )
    confirmed.push({ ...t, hits })
  }
  const ctx: SizingContext = {
    sizes: measured?.sizes,
    purgeableRows: measured?.purgeable,
    model: { ...defaultCostModel, ...options.costModel },
    thresholds: { ...defaultThresholds, ...options.thresholds },
  }
  const ignore = new Set(options.ignore ?? [])
  const migrations: Array<MigrationLint> = confirmed.map((t) => {
    const findings = [
      ...(t.parseError === undefined ? [] : [parseFinding(t.migration, t.parseError)]),
      ...t.hits.map((hit) =>
        toFinding(
          hit,
          t.migration,
          t.suppressions[t.statementIndex.get(hit.statement) ?? -1] ?? [],
          ctx,
        ),
      ),
      ...reasonless(t),
    ]
      .filter((f) => !ignore.has(f.rule))
      .sort(byPosition)
    return {
      version: t.migration.version,
      name: t.migration.up.name,
      file: t.migration.up.path,
      statements: t.statements,
      findings,
    }
  })
  const all = migrations.flatMap((m) => m.findings)
  const findings = all.filter((f) => f.ignored === undefined)
  const finished = performance.now()
  return {
    databaseVersion: state?.version,
    sized: options.database,
    migrations,
    findings,
    ignored: all.filter((f) => f.ignored !== undefined),
    counts: {
      error: findings.filter((f) => f.severity === "error").length,
      warning: findings.filter((f) => f.severity === "warning").length,
      note: findings.filter((f) => f.severity === "note").length,
    },
    timings: {
      scratchSeconds,
      lintSeconds: (finished - lintStarted) / 1000 - scratchSeconds,
      totalSeconds: (finished - started) / 1000,
    },
  } satisfies LintReport
})
