import { Db, requireSupportedServer } from "@coderops/db-core"
import { Metrics } from "@coderops/metrics"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import {
  refuseInOneTransaction,
  runInOneTransaction,
  runInOwnTransactions,
} from "./internal/chain.js"
import { withMigrationLock } from "./internal/migrationLock.js"
import { makeMigrationMessages, timeoutSettingsOf } from "./internal/migrationMessage.js"
import { makeMigrationMetrics } from "./internal/migrationMetrics.js"
import { makeMigrationWatch } from "./internal/migrationWatch.js"
import type { Done, RunContext } from "./internal/runContext.js"
import type { InvalidMigrationRequest } from "./MigrationErrors.js"
import { makeMigrationPlan, type PlannedStep } from "./MigrationPlan.js"
import type { MigrationSet } from "./MigrationSource.js"
import { migrationStatus } from "./MigrationStatus.js"
import type { MigratorEvent } from "./MigratorEvent.js"
import {
  type MigrationVersion,
  makeSchemaMigrations,
  type SchemaMigrations,
} from "./SchemaMigrations.js"

/** Coder's migration lock: holding it, coderops and coderd never migrate at once. */
export const coderMigrationLockKey = 1037453835920848937n

/** One transaction per migration (coderd's newer design), or one for the whole run. */
export type TxMode = "per-migration" | "all"

export interface MigratorOptions {
  readonly table?: string | undefined
  readonly lockKey?: bigint | undefined
  /** How long to wait for the migration lock (Coder: 2 minutes). */
  readonly lockWait?: Duration.Input | undefined
  /** `SET lock_timeout` for each migration; zero = none (Coder: 3 s, CODER_PG_MIGRATION_LOCK_TIMEOUT). */
  readonly lockTimeout?: Duration.Input | undefined
  /** `SET statement_timeout` for each migration; undefined = the server's. */
  readonly statementTimeout?: Duration.Input | undefined
  readonly txMode?: TxMode | undefined
  /** Attempts for a migration that hit lock_not_available or a deadlock (Coder: 5). */
  readonly attempts?: number | undefined
  readonly retryBase?: Duration.Input | undefined
  /** Apply testdata fixtures right after the migration with the same number (verify). */
  readonly applyFixtures?: boolean | undefined
  readonly onEvent?: ((event: MigratorEvent) => void) | undefined
  /**
   * Report a migration that runs longer than `after` (default 2 s) every `every` (default
   * 1 s) with a `running` event: elapsed time and the sessions that block it
   * (pg_blocking_pids, on another connection). Off by default.
   */
  readonly watch?:
    | { readonly after?: Duration.Input | undefined; readonly every?: Duration.Input | undefined }
    | undefined
}

export interface MigrationResult {
  readonly from: number | undefined
  readonly to: number | undefined
  readonly steps: ReadonlyArray<PlannedStep & { readonly seconds?: number | undefined }>
  readonly dryRun: boolean
}

const resultOf = (
  from: MigrationVersion | undefined,
  steps: ReadonlyArray<PlannedStep>,
  done: ReadonlyArray<PlannedStep>,
  dryRun: boolean,
): MigrationResult => ({
  from: from?.version,
  to: steps.length > 0 ? steps.at(-1)!.resultingVersion : from?.version,
  steps: done,
  dryRun,
})

export const makeMigrator = (source: MigrationSet, options: MigratorOptions = {}) =>
  Effect.gen(function* () {
    const db = yield* Db
    const state: SchemaMigrations = yield* makeSchemaMigrations(options.table)
    const plan = makeMigrationPlan(source)
    const report = (event: MigratorEvent) => options.onEvent?.(event)
    const watch =
      options.watch === undefined
        ? undefined
        : makeMigrationWatch(
            db,
            {
              after: Duration.fromInputUnsafe(options.watch.after ?? "2 seconds"),
              every: Duration.fromInputUnsafe(options.watch.every ?? "1 second"),
            },
            report,
          )
    const emit = (event: MigratorEvent) => {
      watch?.observe(event)
      report(event)
    }
    const metrics = makeMigrationMetrics(yield* Metrics)
    const txMode = options.txMode ?? "per-migration"
    const timeouts = timeoutSettingsOf(
      Duration.fromInputUnsafe(options.lockTimeout ?? "3 seconds"),
      options.statementTimeout === undefined
        ? undefined
        : Duration.fromInputUnsafe(options.statementTimeout),
    )
    const ctx: RunContext = {
      db,
      state,
      source,
      plan,
      emit,
      metrics,
      timeouts,
      messages: makeMigrationMessages(timeouts, state),
      applyFixtures: options.applyFixtures ?? false,
      attempts: options.attempts ?? 5,
      retryBase: options.retryBase ?? "250 millis",
    }
    const locked = <A, E, R>(body: Effect.Effect<A, E, R>) =>
      withMigrationLock(
        db,
        {
          key: options.lockKey ?? coderMigrationLockKey,
          wait: Duration.fromInputUnsafe(options.lockWait ?? "2 minutes"),
          emit,
          onAcquired: metrics.lockWait,
        },
        body,
      )

    const current = Effect.andThen(state.refuseCoderV1, state.read)

    /** The backend of the session that holds the migration lock and runs the migrations. */
    const sessionPid = Effect.map(
      db.query<{ pid: number }>("GetMigrationSessionPid", "SELECT pg_backend_pid() AS pid"),
      (rows) => rows[0]?.pid,
    )

    /** Plans under the lock (so the plan is what will run), then runs or only reports it. */
    const execute = (
      planned: (
        from: MigrationVersion | undefined,
      ) => Result.Result<ReadonlyArray<PlannedStep>, InvalidMigrationRequest>,
      dryRun: boolean,
    ) =>
      locked(
        Effect.gen(function* () {
          // A migration's message sets its own statement_timeout, which PostgreSQL applies
          // to the statements after it in the same message only from version 13.
          yield* requireSupportedServer()
          const from = yield* current
          const dirty = plan.dirtyError(from)
          if (dirty !== undefined) return yield* dirty
          const unknown = plan.unknownVersionError(from?.version)
          if (unknown !== undefined) return yield* unknown
          const steps = yield* Effect.fromResult(planned(from))
          if (txMode === "all") yield* refuseInOneTransaction(ctx, steps)
          if (dryRun) return resultOf(from, steps, steps, dryRun)
          // Nothing to do writes nothing, not even the tables.
          if (steps.length === 0) return resultOf(from, steps, [], dryRun)
          yield* state.ensure
          if (watch !== undefined) watch.setSession(yield* sessionPid)
          const done: Array<Done> = []
          yield* txMode === "all"
            ? runInOneTransaction(ctx, steps, done)
            : runInOwnTransactions(ctx, steps, done)
          return resultOf(from, steps, done, dryRun)
        }),
      ).pipe((run) => (watch === undefined ? run : watch.around(run)))

    const up = (request?: {
      readonly limit?: number | undefined
      readonly dryRun?: boolean | undefined
    }) =>
      execute(
        (from) => Result.succeed(plan.up(from?.version, request?.limit)),
        request?.dryRun ?? false,
      )

    const down = (request: {
      readonly count: number | "all"
      readonly dryRun?: boolean | undefined
    }) =>
      execute(
        (from) =>
          Result.succeed(
            plan.down(
              from?.version,
              request.count === "all" ? Number.POSITIVE_INFINITY : request.count,
            ),
          ),
        request.dryRun ?? false,
      )

    const goto = (target: number, dryRun = false) =>
      execute((from) => plan.goto(from?.version, target), dryRun)

    /** Sets the version (and clears dirty) without running anything: the human repair. */
    const force = (version: number) =>
      locked(
        Effect.gen(function* () {
          yield* state.refuseCoderV1
          const refused = plan.forceError(version)
          if (refused !== undefined) return yield* refused
          const before = yield* state.read
          yield* state.ensure
          yield* db.transaction(
            "ForceMigrationVersion",
            state.write(version === -1 ? undefined : version, false),
          )
          return { from: before, to: version === -1 ? undefined : version }
        }),
      )

    const status = Effect.gen(function* () {
      const version = yield* current
      return migrationStatus(source, state.table, version, yield* state.lastApplied)
    })

    return { up, down, goto, force, status }
  })

export type Migrator = Effect.Success<ReturnType<typeof makeMigrator>>
