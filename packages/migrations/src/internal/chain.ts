import type { SqlError } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { InvalidMigrationRequest, MigrationFailed } from "../MigrationErrors.js"
import type { PlannedStep } from "../MigrationPlan.js"
import type { MigrationFile } from "../MigrationSource.js"
import { printable } from "../printable.js"
import { noPreamble } from "./migrationMessage.js"
import { findTransactionControl } from "./ownTransactions.js"
import type { Done, RunContext } from "./runContext.js"
import { messageFailure, migrationFailed, type StepError } from "./stepFailure.js"
import {
  chainable,
  emitStart,
  fixturesOf,
  historyEntry,
  recordStep,
  reportDone,
  runFile,
  runStep,
  type SentAttempt,
} from "./steps.js"
import { unflushedOf } from "./unflushed.js"

/** How a chain of messages runs in one of the two transaction modes. */
interface ChainMode {
  readonly message: (step: PlannedStep, file: MigrationFile, last: boolean) => string
  readonly record: (step: PlannedStep, seconds: number) => Done
  /** A step whose message failed: its retries, or its MigrationFailed. */
  readonly recover: (
    step: PlannedStep,
    last: boolean,
    sent: SentAttempt,
  ) => Effect.Effect<Done, MigrationFailed | SqlError>
}

/** One transaction per migration: a failed step goes the usual way, retries included. */
const ownTransactions = (ctx: RunContext): ChainMode => ({
  message: ctx.messages.inOwnTransaction,
  record: (step, seconds) => recordStep(ctx, step, seconds),
  recover: (step, last, sent) => runStep(ctx, step, last, sent),
})

/** A step of the run's one transaction failed: so did the whole run. */
const failWholeRun =
  (ctx: RunContext, step: PlannedStep, file: MigrationFile) => (error: StepError) =>
    Effect.flatMap(
      migrationFailed(ctx.plan, step, file, error, { tried: 1, dirty: false, wholeRun: true }),
      Effect.fail,
    )

/** Inside the run's one transaction: a failed step fails the run. */
const runTransaction = (ctx: RunContext): ChainMode => ({
  message: ctx.messages.fileThenVersion,
  record: (step, seconds) => reportDone(ctx, step, seconds),
  recover: (step, _last, sent) => {
    const file = ctx.plan.fileOf(step)
    return Effect.flatMap(
      messageFailure(file, sent.failure, noPreamble),
      failWholeRun(ctx, step, file),
    )
  },
})

/**
 * Runs steps from `first` on while they can be chained, each message sent the moment the
 * one before it succeeded (Db.scriptChain): the bookkeeping of one migration (progress,
 * metrics) overlaps the server's work on the next, and no message is sent before the
 * migration before it is done. Returns the index of the next step to run.
 */
const runChain = (
  ctx: RunContext,
  steps: ReadonlyArray<PlannedStep>,
  first: number,
  done: Array<Done>,
  mode: ChainMode,
) =>
  Effect.gen(function* () {
    let next = first
    let finished = first
    let started = 0
    const chained = yield* Effect.result(
      ctx.db.scriptChain(
        "ApplyMigration",
        () => {
          const step = steps[next]
          if (step === undefined || !chainable(ctx, step)) return undefined
          emitStart(ctx, step)
          started = performance.now()
          return mode.message(step, ctx.plan.fileOf(step), next++ === steps.length - 1)
        },
        (seconds) => {
          done.push(mode.record(steps[finished++]!, seconds))
        },
      ),
    )
    if (chained._tag === "Success") return finished
    const sent = { failure: chained.failure, started }
    done.push(yield* mode.recover(steps[finished]!, finished === steps.length - 1, sent))
    return finished + 1
  })

/** Runs `steps`: chains where it can, one by one (`single`) where it cannot. */
const runSteps = <E, R>(
  ctx: RunContext,
  steps: ReadonlyArray<PlannedStep>,
  done: Array<Done>,
  mode: ChainMode,
  single: (step: PlannedStep, last: boolean) => Effect.Effect<Done, E, R>,
) =>
  Effect.gen(function* () {
    let i = 0
    while (i < steps.length) {
      if (chainable(ctx, steps[i]!)) i = yield* runChain(ctx, steps, i, done, mode)
      else done.push(yield* single(steps[i]!, i++ === steps.length - 1))
    }
  })

/**
 * A commit that waits for the WAL flush, after a failure or an interrupt: only a
 * transaction that wrote WAL waits (one with just a transaction id does not), and this
 * record changes no table: a transactional logical decoding message. Best effort: the run
 * has already failed, and the server flushes within a second anyway.
 */
const makeDurable = (ctx: RunContext) =>
  Effect.ignore(
    ctx.db.execute(
      "FlushMigrationCommits",
      "SELECT pg_logical_emit_message(true, 'coderops', 'migrations committed')",
    ),
  )

/** A lost connection: which versions reported applied a server crash could take back. */
const withUnflushed =
  (done: ReadonlyArray<Done>) =>
  <E>(error: E): E =>
    // A dirty failure's marker was committed with a wait, which flushed all before it.
    error instanceof MigrationFailed && error.cause._tag === "ConnectionFailed" && !error.dirty
      ? (new MigrationFailed({
          ...error,
          message: error.message,
          cause: error.cause,
          unflushedVersions: unflushedOf(done),
        }) as E)
      : error

/** Each migration in its own transaction (as coderd runs them); the default. */
export const runInOwnTransactions = (
  ctx: RunContext,
  steps: ReadonlyArray<PlannedStep>,
  done: Array<Done>,
) =>
  runSteps(ctx, steps, done, ownTransactions(ctx), (step, last) => runStep(ctx, step, last)).pipe(
    // Failed or interrupted, the migrations committed so far are made durable too.
    Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : makeDurable(ctx))),
    Effect.mapError(withUnflushed(done)),
  )

/**
 * A step of the run's one transaction that cannot be chained: it has fixtures, or the
 * state table's schema needs quotes (its version is written on its own).
 */
const stepInRunTransaction = (ctx: RunContext, step: PlannedStep) =>
  Effect.gen(function* () {
    const file = ctx.plan.fileOf(step)
    emitStart(ctx, step)
    const startedAt = new Date()
    const started = performance.now()
    yield* Effect.gen(function* () {
      yield* runFile(ctx, file)
      yield* fixturesOf(ctx, step)
    }).pipe(Effect.catch(failWholeRun(ctx, step, file)))
    yield* ctx.state.write(step.resultingVersion, false, historyEntry(step, file, startedAt))
    return reportDone(ctx, step, (performance.now() - started) / 1000)
  })

/** The older design: every pending migration in one transaction (all or nothing). */
export const runInOneTransaction = (
  ctx: RunContext,
  steps: ReadonlyArray<PlannedStep>,
  done: Array<Done>,
) =>
  ctx.db
    .transaction(
      "MigrateAll",
      runSteps(ctx, steps, done, runTransaction(ctx), (step) => stepInRunTransaction(ctx, step)),
      { settings: ctx.timeouts },
    )
    .pipe(Effect.uninterruptible)

/**
 * One transaction for the whole run promises all or nothing: a `-- coder:no-transaction`
 * file cannot run inside it, and a file with its own COMMIT would commit the migrations
 * before it (and its own first part) while a later failure reported the whole run rolled
 * back. Refused before anything runs.
 */
export const refuseInOneTransaction = (ctx: RunContext, steps: ReadonlyArray<PlannedStep>) =>
  Effect.gen(function* () {
    const outside = steps.find((step) => step.noTransaction)
    if (outside !== undefined) {
      return yield* new InvalidMigrationRequest({
        reason: "no-transaction-in-run-transaction",
        dir: ctx.source.dir,
        version: outside.version,
        file: ctx.plan.fileOf(outside).path,
        message: `one transaction for the whole run cannot hold ${printable(outside.name)}: it has \`-- coder:no-transaction\` (it cannot run inside a transaction)`,
      })
    }
    const found = yield* findTransactionControl(steps.map((step) => ctx.plan.fileOf(step)))
    if (found === undefined) return
    const { line, column, text } = found.statement
    const statement = text.split(/\s/, 1)[0]!.toUpperCase()
    return yield* new InvalidMigrationRequest({
      reason: "transaction-control-in-run-transaction",
      dir: ctx.source.dir,
      file: found.file.path,
      line,
      column,
      statement,
      message: `one transaction for the whole run cannot hold ${printable(found.file.path)}:${line}:${column}: it controls the transaction itself (${statement}): it would commit part of the run, and a later failure could not roll that back`,
    })
  })
