import { type SqlError, transientRetry } from "@coderops/db-core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { PlannedStep } from "../MigrationPlan.js"
import type { MigrationFile } from "../MigrationSource.js"
import { type BlockingSession, probeInterval, watchingBlockers } from "./blockingSessions.js"
import { ownsTransactionsOf } from "./locateFailure.js"
import { sessionSettingsScript, transactionSettingsOf } from "./migrationMessage.js"
import type { Done, RunContext } from "./runContext.js"
import {
  type FileFailed,
  fileFailure,
  isLockConflict,
  messageFailure,
  migrationFailed,
  type StepError,
  sqlErrorOf,
} from "./stepFailure.js"

/** A migration's first attempt, made in a chain of messages, that failed. */
export interface SentAttempt {
  readonly failure: SqlError
  /** performance.now() when it was sent. */
  readonly started: number
}

/** A failure names the file it came from: the migration or one of its fixtures. */
export const runFile = (
  ctx: RunContext,
  file: MigrationFile,
  kind: FileFailed["kind"] = "migration",
) =>
  file.empty
    ? Effect.void
    : ctx.db
        .script(kind === "fixture" ? "ApplyFixture" : "ApplyMigration", file.sql)
        .pipe(Effect.catch((cause) => fileFailure(file, kind, cause)))

/** The fixtures of `version`, when the run applies them. */
/** The fixtures applied right after an up migration (Coder's migration tests); none going down. */
const fixturesFor = (ctx: RunContext, step: PlannedStep) =>
  ctx.applyFixtures && step.direction === "up" ? (ctx.source.fixtures.get(step.version) ?? []) : []

export const fixturesOf = (ctx: RunContext, step: PlannedStep) =>
  Effect.forEach(
    fixturesFor(ctx, step),
    (fixture) =>
      Effect.andThen(
        Effect.sync(() => ctx.emit({ type: "fixture", version: step.version, name: fixture.name })),
        runFile(ctx, fixture, "fixture"),
      ),
    { discard: true },
  )

export const historyEntry = (step: PlannedStep, file: MigrationFile, startedAt: Date) => {
  const finishedAt = new Date()
  return {
    version: step.version,
    direction: step.direction,
    name: file.name,
    checksum: file.checksum,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  }
}

export const emitStart = (ctx: RunContext, step: PlannedStep) =>
  ctx.emit({ type: "start", version: step.version, direction: step.direction, name: step.name })

export const reportDone = (ctx: RunContext, step: PlannedStep, seconds: number): Done => {
  ctx.emit({
    type: "done",
    version: step.version,
    direction: step.direction,
    name: step.name,
    seconds,
  })
  return { ...step, seconds }
}

/** A migration committed: its metrics, then its event. */
export const recordStep = (ctx: RunContext, step: PlannedStep, seconds: number): Done => {
  ctx.metrics.step(step, seconds)
  return reportDone(ctx, step, seconds)
}

const hasFixtures = (ctx: RunContext, step: PlannedStep) => fixturesFor(ctx, step).length > 0

/** Steps that can be chained: no directive, no fixtures, the version inside the message. */
export const chainable = (ctx: RunContext, step: PlannedStep) =>
  !step.noTransaction && ctx.state.writesInline && !hasFixtures(ctx, step)

/** A migration's message, sent: its error mapped to the file, its transaction ended. */
export const settleMessage = (
  ctx: RunContext,
  file: MigrationFile,
  last: boolean,
  sent: Effect.Effect<void, SqlError>,
) =>
  sent.pipe(
    Effect.catch((error) =>
      Effect.flatMap(messageFailure(file, error, ctx.messages.preambleOf(last)), Effect.fail),
    ),
    // A failure after BEGIN leaves the transaction open and aborted; a message the
    // server rejected whole opened none, and ROLLBACK only warns.
    Effect.tapError(() => Effect.ignore(ctx.db.script("RollbackMigration", "ROLLBACK"))),
  )

const messageAttempt = (ctx: RunContext, step: PlannedStep, file: MigrationFile, last: boolean) =>
  settleMessage(
    ctx,
    file,
    last,
    ctx.db.script("ApplyMigration", ctx.messages.inOwnTransaction(step, file, last)),
  )

/**
 * With fixtures (verify), each file is its own message, so a failure names its file;
 * also when the state table's schema needs quotes, which the message cannot carry.
 */
const transactionAttempt = (
  ctx: RunContext,
  step: PlannedStep,
  file: MigrationFile,
  last: boolean,
) => {
  const startedAt = new Date()
  return ctx.db.transaction(
    "Migrate",
    Effect.gen(function* () {
      yield* runFile(ctx, file)
      yield* fixturesOf(ctx, step)
      yield* ctx.state.write(step.resultingVersion, false, historyEntry(step, file, startedAt))
    }),
    { settings: transactionSettingsOf(ctx.timeouts, last) },
  )
}

/**
 * One migration in its own transaction with its version row; retried on lock conflicts
 * with db-core's retry policy. `sent`: its first attempt, already made in a chain of
 * messages, and how it failed.
 */
const stepInTransaction = (
  ctx: RunContext,
  step: PlannedStep,
  last: boolean,
  sent?: SentAttempt,
) => {
  const file = ctx.plan.fileOf(step)
  let tried = 0
  // A file with its own COMMIT may have committed part of itself before the conflict:
  // running it again would apply that part twice. Its statements are parsed on the
  // first lock conflict, to know.
  let ownsTransactions: boolean | undefined
  const learnOwnership = (error: StepError) =>
    isLockConflict(sqlErrorOf(error)) && ownsTransactions === undefined
      ? Effect.map(ownsTransactionsOf(file.sql), (owns) => {
          // A file the parser cannot read may commit by itself: no retry.
          ownsTransactions = owns ?? true
        })
      : Effect.void
  const retryAllowed = (error: StepError) =>
    isLockConflict(sqlErrorOf(error)) && ownsTransactions === false
  // Who blocks it, seen while it waits: once lock_not_available ends the wait, the server
  // no longer knows.
  let blockedBy: ReadonlyArray<BlockingSession> = []
  const every = probeInterval(Number(ctx.timeouts.lock_timeout ?? 0))
  const watched = <A, E, R>(attempt: Effect.Effect<A, E, R>) =>
    Effect.flatMap(ctx.sessionPid, (pid) =>
      watchingBlockers(
        ctx.db,
        pid,
        every,
        (sessions) => {
          blockedBy = sessions
        },
        attempt,
      ),
    )
  const once = Effect.suspend(() => {
    tried++
    if (tried === 1 && sent !== undefined)
      return settleMessage(ctx, file, last, Effect.fail(sent.failure))
    return watched(
      hasFixtures(ctx, step) || !ctx.state.writesInline
        ? transactionAttempt(ctx, step, file, last)
        : messageAttempt(ctx, step, file, last),
    )
  }).pipe(Effect.tapError(learnOwnership))
  const schedule = transientRetry({ attempts: ctx.attempts, base: ctx.retryBase }).pipe(
    Schedule.setInputType<StepError>(),
    Schedule.tap(({ input, duration }) =>
      Effect.sync(() => {
        // The schedule sees every failure; only lock conflicts are retried.
        if (!retryAllowed(input)) return
        const error = sqlErrorOf(input)
        ctx.metrics.retry(error._tag)
        ctx.emit({
          type: "retry",
          version: step.version,
          attempt: tried + 1,
          reason: error._tag === "DeadlockDetected" ? "deadlock" : "lock timeout",
          delaySeconds: Duration.toSeconds(duration),
        })
      }),
    ),
  )
  return once.pipe(
    Effect.retry({ schedule, while: retryAllowed }),
    Effect.catch((error: StepError) =>
      Effect.flatMap(
        migrationFailed(ctx.plan, step, file, error, { tried, dirty: false, blockedBy }),
        Effect.fail,
      ),
    ),
  )
}

/**
 * A `-- coder:no-transaction` migration (CREATE INDEX CONCURRENTLY): the dirty marker is
 * committed first, the file runs in autocommit, then the version is marked clean. A
 * failure in between leaves the database dirty, for a human to look at.
 */
const stepWithoutTransaction = (ctx: RunContext, step: PlannedStep) => {
  const { db, state } = ctx
  const file = ctx.plan.fileOf(step)
  const startedAt = new Date()
  const dirtyFailure = (error: StepError) =>
    Effect.flatMap(
      migrationFailed(ctx.plan, step, file, error, { tried: 1, dirty: true }),
      Effect.fail,
    )
  return Effect.gen(function* () {
    // As golang-migrate: the dirty marker carries the version being migrated to.
    yield* db.transaction("MarkMigrationDirty", state.write(step.resultingVersion, true))
    yield* db.script("SetMigrationTimeouts", sessionSettingsScript(ctx.timeouts))
    const ran = yield* Effect.result(runFile(ctx, file))
    yield* db.script("ResetMigrationTimeouts", "RESET lock_timeout; RESET statement_timeout")
    if (ran._tag === "Failure") return yield* dirtyFailure(ran.failure)
    yield* db
      .transaction(
        "MarkMigrationClean",
        Effect.gen(function* () {
          yield* fixturesOf(ctx, step)
          yield* state.write(step.resultingVersion, false, historyEntry(step, file, startedAt))
        }),
      )
      .pipe(
        Effect.catchIf((error): error is FileFailed => error._tag === "FileFailed", dirtyFailure),
      )
  })
}

/**
 * One migration in its own transaction, or outside one for `-- coder:no-transaction`.
 * `last`: the run's last migration, whose commit makes the run durable. `sent`: its
 * first attempt failed in a chain (started there).
 */
export const runStep = (ctx: RunContext, step: PlannedStep, last: boolean, sent?: SentAttempt) =>
  Effect.gen(function* () {
    if (sent === undefined) emitStart(ctx, step)
    const started = sent?.started ?? performance.now()
    yield* step.noTransaction
      ? stepWithoutTransaction(ctx, step)
      : stepInTransaction(ctx, step, last, sent)
    return recordStep(ctx, step, (performance.now() - started) / 1000)
    // Ctrl-C lets the running migration finish; the loop stops before the next one.
  }).pipe(Effect.uninterruptible)
