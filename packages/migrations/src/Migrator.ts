import {
  AdvisoryLockBusy,
  Db,
  requireSupportedServer,
  type SqlError,
  SqlSyntaxError,
} from "@coderops/db-core"
import { durationBuckets, Metrics } from "@coderops/metrics"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import {
  controlsTransactions,
  locateError,
  type Preamble,
  statementsOf,
  syntaxErrorOf,
} from "./internal/locateFailure.js"
import { findLockHolders, type LockHolder } from "./internal/lockHolders.js"
import { findTransactionControl } from "./internal/ownTransactions.js"
import { unflushedOf } from "./internal/unflushed.js"
import type { Migration, MigrationFile, MigrationSet } from "./MigrationSource.js"
import { printable } from "./printable.js"
import {
  type Direction,
  type HistoryEntry,
  type MigrationVersion,
  makeSchemaMigrations,
  type SchemaMigrations,
} from "./SchemaMigrations.js"

/** Coder's migration lock: holding it, coderops and coderd never migrate at once. */
export const coderMigrationLockKey = 1037453835920848937n

export type TxMode = "per-migration" | "all"

export interface MigratorOptions {
  readonly table?: string | undefined
  readonly lockKey?: bigint | undefined
  /** How long to wait for the migration lock (Coder: 2 minutes). */
  readonly lockWaitMs?: number | undefined
  /** `SET lock_timeout` for each migration; 0 = none (Coder: 3 s, CODER_PG_MIGRATION_LOCK_TIMEOUT). */
  readonly lockTimeoutMs?: number | undefined
  /** `SET statement_timeout` for each migration; undefined = the server's. */
  readonly statementTimeoutMs?: number | undefined
  readonly txMode?: TxMode | undefined
  /** Attempts for a migration that hit lock_not_available or a deadlock (Coder: 5). */
  readonly attempts?: number | undefined
  readonly retryBase?: Duration.Input | undefined
  /** Apply testdata fixtures right after the migration with the same number (verify). */
  readonly applyFixtures?: boolean | undefined
  readonly onEvent?: ((event: MigratorEvent) => void) | undefined
}

export type MigratorEvent =
  | { readonly type: "lock-wait"; readonly holders: ReadonlyArray<LockHolder> }
  | { readonly type: "lock-acquired"; readonly waitedSeconds: number }
  | {
      readonly type: "start"
      readonly version: number
      readonly direction: Direction
      readonly name: string
    }
  | {
      readonly type: "done"
      readonly version: number
      readonly direction: Direction
      readonly name: string
      readonly seconds: number
    }
  | {
      readonly type: "retry"
      readonly version: number
      readonly attempt: number
      readonly reason: string
      readonly delaySeconds: number
    }
  | { readonly type: "fixture"; readonly version: number; readonly name: string }

export interface PlannedStep {
  readonly version: number
  readonly direction: Direction
  readonly name: string
  /** The version recorded once the step is done; undefined = no version. */
  readonly resultingVersion: number | undefined
  readonly noTransaction: boolean
}

export interface MigrationResult {
  readonly from: number | undefined
  readonly to: number | undefined
  readonly steps: ReadonlyArray<PlannedStep & { readonly seconds?: number | undefined }>
  readonly dryRun: boolean
}

/** A migration that failed: which file, where, what the database looks like now. */
export class MigrationFailed extends Data.TaggedError("MigrationFailed")<{
  readonly version: number
  readonly direction: Direction
  readonly file: string
  readonly line: number | undefined
  readonly column: number | undefined
  readonly sqlState: string | undefined
  readonly cause: SqlError
  readonly attempts: number
  /** True when the database was left dirty (a no-transaction migration). */
  readonly dirty: boolean
  /**
   * Versions this run reported applied whose commits did not wait for the disk
   * (`synchronous_commit = off`) and that no later commit is known to have flushed: set
   * when the connection was lost, as a server crash then loses them. Otherwise empty.
   */
  readonly unflushedVersions: ReadonlyArray<number>
  readonly message: string
  readonly hint: string
  readonly exitCode: number
}> {}

export class DatabaseDirty extends Data.TaggedError("DatabaseDirty")<{
  readonly version: number
  readonly message: string
  readonly hint: string
  readonly exitCode: number
}> {}

export class MigrationLockTimeout extends Data.TaggedError("MigrationLockTimeout")<{
  readonly holders: ReadonlyArray<LockHolder>
  readonly message: string
  readonly hint: string
  readonly exitCode: number
}> {}

/** A request the migration directory cannot satisfy (unknown version, down without --all). */
export class InvalidMigrationRequest extends Data.TaggedError("InvalidMigrationRequest")<{
  readonly message: string
  readonly hint: string
  readonly exitCode: number
}> {}

export interface MigrationStatus {
  readonly table: string
  readonly version: number | undefined
  readonly dirty: boolean
  readonly latest: number | undefined
  readonly migrations: ReadonlyArray<{
    readonly version: number
    readonly name: string
    readonly applied: boolean
    /** The file changed since it was applied (checksum differs from the history). */
    readonly drift: boolean
    readonly appliedAt: string | undefined
    readonly durationMs: number | undefined
  }>
  readonly pending: number
}

/** Who holds the migration lock, for messages. */
export const describeLockHolders = (holders: ReadonlyArray<LockHolder>) =>
  holders.length === 0
    ? "a session not visible to this user"
    : holders
        .map(
          (h) =>
            `pid ${h.pid} (${h.applicationName || "no application_name"}, ${h.user}, since ${h.since})`,
        )
        .join("; ")

/** A statement of a migration or of one of its fixtures failed. */
class FileFailed extends Data.TaggedError("FileFailed")<{
  readonly file: MigrationFile
  readonly kind: "migration" | "fixture"
  readonly cause: SqlError
  /** Where in the file the failing statement is, when known. */
  readonly line: number | undefined
  readonly column: number | undefined
}> {}

/** A migration's first attempt, made in a chain of messages, that failed. */
interface SentAttempt {
  readonly failure: SqlError
  /** performance.now() when it was sent. */
  readonly started: number
}

/** What a step can fail with before it becomes MigrationFailed: a file, or our own statements. */
type StepError = FileFailed | SqlError

const sqlErrorOf = (error: StepError): SqlError =>
  error._tag === "FileFailed" ? error.cause : error

const retryable = (error: SqlError) =>
  error._tag === "LockNotAvailable" || error._tag === "DeadlockDetected"

const fileOf = (migration: Migration, direction: Direction): MigrationFile =>
  direction === "up" ? migration.up : migration.down

export const makeMigrator = (source: MigrationSet, options: MigratorOptions = {}) =>
  Effect.gen(function* () {
    const db = yield* Db
    const metrics = yield* Metrics
    const state: SchemaMigrations = yield* makeSchemaMigrations(options.table)
    const emit = (event: MigratorEvent) => options.onEvent?.(event)
    const lockKey = options.lockKey ?? coderMigrationLockKey
    const lockTimeoutMs = options.lockTimeoutMs ?? 3000
    const attempts = options.attempts ?? 5
    const byVersion = new Map(source.migrations.map((m) => [m.version, m]))
    const versions = source.migrations.map((m) => m.version)
    const previousOf = (version: number) => versions[versions.indexOf(version) - 1]
    const txMode = options.txMode ?? "per-migration"

    const durations = metrics.gauge({
      name: "coderops_migration_duration_seconds",
      help: "How long the last run of each migration took, in seconds.",
      labelNames: ["version", "direction"],
    })
    const stepHistogram = metrics.histogram({
      name: "coderops_migration_step_duration_seconds",
      help: "Durations of migrations run, in seconds.",
      labelNames: ["direction"],
      buckets: durationBuckets,
    })
    const applied = metrics.counter({
      name: "coderops_migrations_applied_total",
      help: "Migrations applied, by direction.",
      labelNames: ["direction"],
    })
    const retries = metrics.counter({
      name: "coderops_migration_retries_total",
      help: "Migration attempts retried after lock_not_available or a deadlock.",
      labelNames: ["reason"],
    })
    const lockWait = metrics.gauge({
      name: "coderops_migration_lock_wait_seconds",
      help: "How long the last run waited for the migration advisory lock, in seconds.",
    })

    // Whole milliseconds, as the server takes them; a positive timeout never becomes 0,
    // which would mean none at all.
    const wholeMs = (ms: number) => (ms <= 0 ? 0 : Math.max(1, Math.ceil(ms)))
    /** The timeouts every migration runs under. */
    const timeoutSettings: Record<string, number> = {
      lock_timeout: wholeMs(lockTimeoutMs),
      ...(options.statementTimeoutMs === undefined
        ? {}
        : { statement_timeout: wholeMs(options.statementTimeoutMs) }),
    }
    /**
     * A migration's transaction: its timeouts and, but for the last of a run, no wait for
     * its commit to reach disk (or a synchronous standby). The last one's commit waits,
     * and WAL is flushed in order, so that flushes every migration before it; a failed or
     * interrupted run ends with `makeDurable` instead. A server crash during the run can
     * lose only whole migrations at the end of it (their version rows with them): the
     * database is at an earlier, clean version. Where each commit must wait (a remote
     * disk, a synchronous standby), 300 migrations save 299 waits.
     */
    const transactionSettings = (last: boolean): Record<string, number | string> =>
      last ? timeoutSettings : { ...timeoutSettings, synchronous_commit: "off" }
    /**
     * A commit that waits for the WAL flush, after a failure or an interrupt: only a
     * transaction that wrote WAL waits (one with just a transaction id does not), and this
     * record changes no table: a transactional logical decoding message. Best effort: the
     * run has already failed, and the server flushes within a second anyway.
     */
    const makeDurable = Effect.ignore(
      db.execute(
        "FlushMigrationCommits",
        "SELECT pg_logical_emit_message(true, 'coderops', 'migrations committed')",
      ),
    )

    const sessionTimeouts = db.script(
      "SetMigrationTimeouts",
      Object.entries(timeoutSettings)
        .map(([name, value]) => `SET ${name} = ${value}`)
        .join(";\n"),
    )

    const resetTimeouts = db.script(
      "ResetMigrationTimeouts",
      "RESET lock_timeout; RESET statement_timeout",
    )

    /** A failure names the file it came from: the migration or one of its fixtures. */
    const runFile = (file: MigrationFile, kind: FileFailed["kind"] = "migration") =>
      file.empty
        ? Effect.void
        : db.script(kind === "fixture" ? "ApplyFixture" : "ApplyMigration", file.sql).pipe(
            Effect.catch((cause) =>
              Effect.flatMap(locateError(file.sql, cause, { lines: 0, statements: 0 }), (located) =>
                Effect.fail(
                  new FileFailed({
                    file,
                    kind,
                    cause,
                    line: located.in === "file" ? located.line : undefined,
                    column: located.in === "file" ? located.column : undefined,
                  }),
                ),
              ),
            ),
          )

    const fixturesOf = (version: number) =>
      Effect.forEach(
        options.applyFixtures ? (source.fixtures.get(version) ?? []) : [],
        (fixture) =>
          Effect.andThen(
            Effect.sync(() => emit({ type: "fixture", version, name: fixture.name })),
            runFile(fixture, "fixture"),
          ),
        { discard: true },
      )

    const historyEntry = (step: PlannedStep, file: MigrationFile, startedAt: Date) => {
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

    /** What to do after a failure, by what failed. */
    const adviceFor = (
      error: SqlError,
      kind: FileFailed["kind"],
    ): { readonly hint: string; readonly exitCode: number } => {
      switch (error._tag) {
        case "LockNotAvailable":
        case "DeadlockDetected":
          return {
            hint: "another session held conflicting locks for every attempt. Find it in pg_stat_activity, or raise CODER_PG_MIGRATION_LOCK_TIMEOUT",
            exitCode: 9,
          }
        case "ConnectionFailed":
          return {
            hint: "check the server, then run again",
            exitCode: 4,
          }
        case "QueryCanceled":
          return {
            hint:
              error.reason === "statement_timeout"
                ? "it ran longer than statement_timeout (--statement-timeout); raise the timeout for this run, or make the migration cheaper"
                : // node-postgres refuses a COPY FROM STDIN it has no data for; so does golang-migrate.
                  error.message.startsWith("COPY from stdin failed")
                  ? "COPY ... FROM STDIN needs data sent by the client, which a migration file cannot carry; insert the rows with INSERT instead"
                  : "it was cancelled by another session or a server shutdown; run again",
            exitCode: 10,
          }
        default:
          return {
            hint: `fix the ${kind === "fixture" ? "fixture" : "SQL"} and run again`,
            exitCode: 10,
          }
      }
    }

    /** Turns the error of a failed step into MigrationFailed, naming file, line and column. */
    const failure = (
      step: PlannedStep,
      migrationFile: MigrationFile,
      failed: StepError,
      attempt: {
        readonly tried: number
        /** The migration ran outside a transaction: the database is dirty. */
        readonly dirty: boolean
        /** Every pending migration ran in one transaction (--tx-mode all). */
        readonly wholeRun?: boolean
      },
    ) =>
      Effect.gen(function* () {
        const error = failed._tag === "FileFailed" ? failed.cause : failed
        const kind = failed._tag === "FileFailed" ? failed.kind : "migration"
        const file = failed._tag === "FileFailed" ? failed.file : migrationFile
        const where =
          failed._tag === "FileFailed" && failed.line !== undefined
            ? { line: failed.line, column: failed.column }
            : undefined
        const statements =
          failed._tag === "FileFailed" && !attempt.dirty ? yield* statementsOf(file.sql) : []
        // A file's own COMMIT persists what ran before it, whatever our transaction does.
        const committedItself = !attempt.dirty && controlsTransactions(statements)
        // Never found by running the file again: its side effects (nextval, COPY TO
        // PROGRAM, dblink) would happen twice.
        const at =
          where === undefined
            ? failed._tag === "FileFailed" && "sqlState" in error
              ? " (the failing line is unknown)"
              : ""
            : `:${where.line}:${where.column}`
        const sqlState = "sqlState" in error ? error.sqlState : undefined
        const what =
          kind === "fixture"
            ? `fixture ${printable(file.name)} of migration ${printable(migrationFile.name)}`
            : `migration ${printable(file.name)}`
        const advice = adviceFor(error, kind)
        const applied = attempt.dirty
          ? `the database is now dirty: this migration ran outside a transaction. Check what it did and finish or undo it by hand, then run \`coderops migrate force ${step.direction === "up" ? step.version : (step.resultingVersion ?? -1)}\` if it completed, or \`coderops migrate force ${step.direction === "up" ? (previousOf(step.version) ?? -1) : step.version}\` if it did not`
          : committedItself
            ? `${printable(file.name)} has its own BEGIN/COMMIT, so what ran before its COMMIT may be committed while the version stayed at ${(step.direction === "up" ? previousOf(step.version) : step.version) ?? "none"}. Check the schema and finish or undo that part by hand`
            : attempt.wholeRun
              ? "--tx-mode all rolled back the whole run: none of its migrations was applied"
              : error._tag === "ConnectionFailed"
                ? "the server never confirmed this migration: it was rolled back, unless the connection was lost just as its COMMIT ran"
                : "nothing of this migration was applied (it ran in a transaction)"
        return new MigrationFailed({
          version: step.version,
          direction: step.direction,
          file: file.path,
          line: where?.line,
          column: where?.column,
          sqlState,
          cause: error,
          attempts: attempt.tried,
          dirty: attempt.dirty,
          unflushedVersions: [],
          message: `${what} failed at ${printable(file.path)}${at}: ${error.message}${sqlState ? ` (SQLSTATE ${sqlState})` : ""}${attempt.tried > 1 ? ` after ${attempt.tried} attempts` : ""}`,
          hint: attempt.dirty ? applied : `${applied}; ${advice.hint}`,
          exitCode: advice.exitCode,
        })
      })

    // One line, so that line N of a file is line N + 1 of the message, columns unchanged.
    const beginLineOf = (last: boolean) =>
      `${["BEGIN", ...Object.entries(transactionSettings(last)).map(([name, value]) => `SET LOCAL ${name} = ${value}`)].join("; ")};\n`
    const beginLines = { last: beginLineOf(true), other: beginLineOf(false) }

    /**
     * The migration, its version row and its history row as one simple-protocol message:
     * one round trip instead of four, which is most of what a short migration costs.
     * The file cannot take in the text after it: that text has no comment, dollar-quote,
     * identifier-quote or backslash characters, and its quotes pair up around letters and
     * digits. A file that ends inside a string, a comment or an unfinished statement so
     * leaves the whole message unterminated, and the server, which parses a message whole
     * before running any of it, rejects all of it. With --tx-mode all, the message is the
     * same without BEGIN and COMMIT: the run's transaction is already open.
     */
    const fileThenVersion = (step: PlannedStep, file: MigrationFile) =>
      `${file.empty ? "" : file.sql}\n;\n${state.writeText(step.resultingVersion, {
        version: step.version,
        direction: step.direction,
        name: file.name,
        checksum: file.checksum,
      })};\n`
    const migrationMessage = (step: PlannedStep, file: MigrationFile, last: boolean) =>
      `${last ? beginLines.last : beginLines.other}${fileThenVersion(step, file)}COMMIT;`

    /** Our statements ahead of the file in its message: BEGIN and the SET LOCALs, one line. */
    const preambleOf = (last: boolean): Preamble => ({
      lines: 1,
      statements: 1 + Object.keys(transactionSettings(last)).length,
    })
    /** Inside the run's transaction (--tx-mode all) the file comes first. */
    const noPreamble: Preamble = { lines: 0, statements: 0 }

    /** Maps an error of the message back to the file, or to our own statements around it. */
    const messageFailure = (file: MigrationFile, error: SqlError, before: Preamble) =>
      Effect.gen(function* () {
        const failed = (
          cause: SqlError,
          at: { readonly line: number | undefined; readonly column: number | undefined },
        ): StepError => new FileFailed({ file, kind: "migration", cause, ...at })
        const located = yield* locateError(file.empty ? "" : file.sql, error, before)
        const inFile = located.in === "file"
        if (error._tag === "SqlSyntaxError" && error.line !== undefined) {
          const line = error.line - before.lines
          const column = error.column
          // A file that ends inside a string or a comment: the server's message quotes
          // our text after it, or points past the file. The parser, on the file alone,
          // says what is unfinished and where, as the server would have. When it finds
          // a different place (a newer server's syntax), the server is right.
          const alone = yield* syntaxErrorOf(file.sql)
          if (alone !== undefined && (!inFile || (alone.line === line && alone.column === column)))
            return failed(
              new SqlSyntaxError({
                query: error.query,
                sqlState: error.sqlState,
                message: alone.message,
                line: alone.line,
                column: alone.column,
              }),
              alone,
            )
        }
        return located.in === "file"
          ? failed(error, { line: located.line, column: located.column })
          : located.in === "unknown"
            ? failed(error, { line: undefined, column: undefined })
            : error
      })

    /** A migration's message, sent: its error mapped to the file, its transaction ended. */
    const settleMessage = (
      file: MigrationFile,
      last: boolean,
      sent: Effect.Effect<void, SqlError>,
    ) =>
      sent.pipe(
        Effect.catch((error) =>
          Effect.flatMap(messageFailure(file, error, preambleOf(last)), Effect.fail),
        ),
        // A failure after BEGIN leaves the transaction open and aborted; a message the
        // server rejected whole opened none, and ROLLBACK only warns.
        Effect.tapError(() => Effect.ignore(db.script("RollbackMigration", "ROLLBACK"))),
      )

    const messageAttempt = (step: PlannedStep, file: MigrationFile, last: boolean) =>
      settleMessage(file, last, db.script("ApplyMigration", migrationMessage(step, file, last)))

    /**
     * With fixtures (verify), each file is its own message, so a failure names its file;
     * also when the state table's schema needs quotes, which the message cannot carry.
     */
    const transactionAttempt = (step: PlannedStep, file: MigrationFile, last: boolean) => {
      const startedAt = new Date()
      return db.transaction(
        "Migrate",
        Effect.gen(function* () {
          yield* runFile(file)
          yield* fixturesOf(step.version)
          yield* state.write(step.resultingVersion, false, historyEntry(step, file, startedAt))
        }),
        { settings: transactionSettings(last) },
      )
    }

    const hasFixtures = (step: PlannedStep) =>
      options.applyFixtures === true &&
      step.direction === "up" &&
      (source.fixtures.get(step.version)?.length ?? 0) > 0

    /**
     * One migration in its own transaction with its version row; retried on lock conflicts.
     * `sent`: its first attempt, already made in a chain of messages, and how it failed.
     */
    const stepInTransaction = (
      step: PlannedStep,
      migration: Migration,
      last: boolean,
      sent?: SentAttempt,
    ) => {
      const file = fileOf(migration, step.direction)
      let tried = 0
      // A file with its own COMMIT may have committed part of itself before the conflict:
      // running it again would apply that part twice. Its statements are parsed on the
      // first lock conflict, to know.
      let ownsTransactions: boolean | undefined
      const learnOwnership = (error: StepError) =>
        retryable(sqlErrorOf(error)) && ownsTransactions === undefined
          ? Effect.map(statementsOf(file.sql), (statements) => {
              ownsTransactions = controlsTransactions(statements)
            })
          : Effect.void
      const retryAllowed = (error: StepError) =>
        retryable(sqlErrorOf(error)) && ownsTransactions === false
      const once = Effect.suspend(() => {
        tried++
        if (tried === 1 && sent !== undefined)
          return settleMessage(file, last, Effect.fail(sent.failure))
        return hasFixtures(step) || !state.writesInline
          ? transactionAttempt(step, file, last)
          : messageAttempt(step, file, last)
      }).pipe(Effect.tapError(learnOwnership))
      const schedule = Schedule.exponential(options.retryBase ?? "250 millis", 2).pipe(
        Schedule.modifyDelay(({ duration }) =>
          Effect.succeed(Duration.min(duration, Duration.seconds(5))),
        ),
        Schedule.jittered,
        Schedule.upTo({ times: attempts - 1 }),
        Schedule.setInputType<StepError>(),
        Schedule.tap(({ input, duration }) =>
          Effect.sync(() => {
            // The schedule sees every failure; only lock conflicts are retried.
            if (!retryAllowed(input)) return
            const error = sqlErrorOf(input)
            retries.inc({ reason: error._tag })
            emit({
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
          Effect.flatMap(failure(step, file, error, { tried, dirty: false }), Effect.fail),
        ),
      )
    }

    /**
     * A `-- coder:no-transaction` migration (CREATE INDEX CONCURRENTLY): the dirty marker is
     * committed first, the file runs in autocommit, then the version is marked clean. A
     * failure in between leaves the database dirty, for a human to look at.
     */
    const stepWithoutTransaction = (step: PlannedStep, migration: Migration) => {
      const file = fileOf(migration, step.direction)
      const startedAt = new Date()
      const dirtyFailure = (error: StepError) =>
        Effect.flatMap(failure(step, file, error, { tried: 1, dirty: true }), Effect.fail)
      return Effect.gen(function* () {
        // As golang-migrate: the dirty marker carries the version being migrated to.
        yield* db.transaction("MarkMigrationDirty", state.write(step.resultingVersion, true))
        yield* sessionTimeouts
        const ran = yield* Effect.result(runFile(file))
        yield* resetTimeouts
        if (ran._tag === "Failure") return yield* dirtyFailure(ran.failure)
        yield* db
          .transaction(
            "MarkMigrationClean",
            Effect.gen(function* () {
              if (step.direction === "up") yield* fixturesOf(step.version)
              yield* state.write(step.resultingVersion, false, historyEntry(step, file, startedAt))
            }),
          )
          .pipe(
            Effect.catchIf(
              (error): error is FileFailed => error._tag === "FileFailed",
              dirtyFailure,
            ),
          )
      })
    }

    const emitStart = (step: PlannedStep) =>
      emit({ type: "start", version: step.version, direction: step.direction, name: step.name })

    const reportDone = (step: PlannedStep, seconds: number) => {
      emit({
        type: "done",
        version: step.version,
        direction: step.direction,
        name: step.name,
        seconds,
      })
      return { ...step, seconds }
    }

    /** A migration committed: its metrics, then its event. */
    const recordStep = (step: PlannedStep, seconds: number) => {
      durations.set({ version: String(step.version), direction: step.direction }, seconds)
      stepHistogram.observe({ direction: step.direction }, seconds)
      applied.inc({ direction: step.direction })
      return reportDone(step, seconds)
    }

    /**
     * `last`: the run's last migration, whose commit makes the run durable. `sent`: its
     * first attempt failed in a chain (started there).
     */
    const runStep = (step: PlannedStep, last: boolean, sent?: SentAttempt) =>
      Effect.gen(function* () {
        const migration = byVersion.get(step.version)!
        if (sent === undefined) emitStart(step)
        const started = sent?.started ?? performance.now()
        yield* step.noTransaction
          ? stepWithoutTransaction(step, migration)
          : stepInTransaction(step, migration, last, sent)
        return recordStep(step, (performance.now() - started) / 1000)
        // Ctrl-C lets the running migration finish; the loop stops before the next one.
      }).pipe(Effect.uninterruptible)

    /** Steps that can be chained: no directive, no fixtures, the version inside the message. */
    const chainable = (step: PlannedStep) =>
      !step.noTransaction && state.writesInline && !hasFixtures(step)

    type Done = PlannedStep & { readonly seconds: number }

    /** How a chain of messages runs in one of the two transaction modes. */
    interface ChainMode {
      readonly message: (step: PlannedStep, file: MigrationFile, last: boolean) => string
      readonly record: (step: PlannedStep, seconds: number) => Done
      /** A step whose message failed: its retries, or its MigrationFailed. */
      readonly recover: (
        step: PlannedStep,
        last: boolean,
        sent: SentAttempt,
      ) => Effect.Effect<Done, MigrationFailed | SqlError, Db>
    }

    /** One transaction per migration: a failed step goes the usual way, retries included. */
    const ownTransactions: ChainMode = {
      message: (step, file, last) => migrationMessage(step, file, last),
      record: recordStep,
      recover: (step, last, sent) => runStep(step, last, sent),
    }

    /** A step of --tx-mode all failed: so did the whole run. */
    const failWholeRun = (step: PlannedStep, file: MigrationFile) => (error: StepError) =>
      Effect.flatMap(
        failure(step, file, error, { tried: 1, dirty: false, wholeRun: true }),
        Effect.fail,
      )

    /** Inside the run's one transaction: a failed step fails the run (--tx-mode all). */
    const runTransaction: ChainMode = {
      message: (step, file) => fileThenVersion(step, file),
      record: reportDone,
      recover: (step, _last, sent) => {
        const file = fileOf(byVersion.get(step.version)!, step.direction)
        return Effect.flatMap(
          messageFailure(file, sent.failure, noPreamble),
          failWholeRun(step, file),
        )
      },
    }

    /**
     * Runs steps from `first` on while they can be chained, each message sent the moment
     * the one before it succeeded (Db.scriptChain): the bookkeeping of one migration
     * (progress, metrics) overlaps the server's work on the next, and no message is sent
     * before the migration before it is done. Returns the index of the next step to run.
     */
    const runChain = (
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
          db.scriptChain(
            "ApplyMigration",
            () => {
              const step = steps[next]
              if (step === undefined || !chainable(step)) return undefined
              emitStart(step)
              started = performance.now()
              const file = fileOf(byVersion.get(step.version)!, step.direction)
              return mode.message(step, file, next++ === steps.length - 1)
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
      steps: ReadonlyArray<PlannedStep>,
      done: Array<Done>,
      mode: ChainMode,
      single: (step: PlannedStep, last: boolean) => Effect.Effect<Done, E, R>,
    ) =>
      Effect.gen(function* () {
        let i = 0
        while (i < steps.length) {
          if (chainable(steps[i]!)) i = yield* runChain(steps, i, done, mode)
          else done.push(yield* single(steps[i]!, i++ === steps.length - 1))
        }
      })

    /** Holds Coder's migration lock on one session for `body`; waits (saying who holds it). */
    const withMigrationLock = <A, E, R>(body: Effect.Effect<A, E, R>) => {
      const started = performance.now()
      let waited = false
      let reported = ""
      const attempt = db.withAdvisoryLock(
        lockKey,
        Effect.andThen(
          Effect.sync(() => {
            const seconds = (performance.now() - started) / 1000
            lockWait.set({}, seconds)
            if (waited) emit({ type: "lock-acquired", waitedSeconds: seconds })
          }),
          body,
        ),
        { wait: false },
      )
      const onBusy = Effect.gen(function* () {
        waited = true
        const holders = yield* findLockHolders(lockKey)
        const key = holders.map((h) => h.pid).join(",")
        // No holder: released since the attempt (pg_locks shows every holder's pid); the
        // next attempt will tell, so say nothing rather than "held by nobody".
        if (key !== "" && key !== reported) {
          reported = key
          emit({ type: "lock-wait", holders })
        }
      })
      return attempt.pipe(
        Effect.tapError((error) => (error instanceof AdvisoryLockBusy ? onBusy : Effect.void)),
        Effect.retry({
          schedule: Schedule.spaced("500 millis").pipe(
            Schedule.upTo({ duration: `${options.lockWaitMs ?? 120_000} millis` }),
          ),
          while: (error) => error instanceof AdvisoryLockBusy,
        }),
        Effect.catchIf(
          (error): error is AdvisoryLockBusy => error instanceof AdvisoryLockBusy,
          () =>
            Effect.flatMap(findLockHolders(lockKey), (holders) =>
              Effect.fail(
                new MigrationLockTimeout({
                  holders,
                  message: `the migration lock (advisory key ${lockKey}) is still held after ${Math.round((options.lockWaitMs ?? 120_000) / 1000)} s, by ${describeLockHolders(holders)}`,
                  hint: "another coderops or coderd is migrating this database; wait for it, or stop it",
                  exitCode: 9,
                }),
              ),
            ),
        ),
      )
    }

    const current = Effect.gen(function* () {
      yield* state.refuseCoderV1
      return yield* state.read
    })

    const requireClean = (version: MigrationVersion | undefined) => {
      if (!version?.dirty) return Effect.void
      // -1 is golang-migrate's dirty "no version": the down of the first migration failed.
      const noVersion = version.version === -1
      const first = versions[0] ?? "<first version>"
      return Effect.fail(
        new DatabaseDirty({
          version: version.version,
          message: noVersion
            ? `the database is dirty with no version: the down migration of ${first} failed part-way, and nothing will run until a human looks`
            : `the database is dirty at version ${version.version}: a migration failed part-way and nothing will run until a human looks`,
          hint: noVersion
            ? `inspect the schema, repair what that down migration left, then \`coderops migrate force -1\` (it completed) or \`coderops migrate force ${first}\` (it did not)`
            : `inspect the schema, repair what migration ${version.version} left, then \`coderops migrate force ${version.version}\` (it completed) or \`coderops migrate force ${previousOf(version.version) ?? -1}\` (it did not)`,
          exitCode: 1,
        }),
      )
    }

    const requireKnown = (version: number | undefined) =>
      version === undefined || byVersion.has(version)
        ? Effect.void
        : Effect.fail(
            new InvalidMigrationRequest({
              message: `the database is at version ${version}, which is not in ${printable(source.dir)}`,
              hint: "use the migration directory of the Coder release this database came from (or a newer one)",
              exitCode: 3,
            }),
          )

    const upSteps = (from: number | undefined, limit?: number) =>
      source.migrations
        .filter((m) => from === undefined || m.version > from)
        .slice(0, limit ?? Number.POSITIVE_INFINITY)
        .map(
          (m): PlannedStep => ({
            version: m.version,
            direction: "up",
            name: m.up.name,
            resultingVersion: m.version,
            noTransaction: m.up.noTransaction,
          }),
        )

    const downSteps = (from: number | undefined, limit: number) => {
      if (from === undefined) return []
      const index = versions.indexOf(from)
      return versions
        .slice(0, index + 1)
        .reverse()
        .slice(0, limit)
        .map((version): PlannedStep => {
          const at = versions.indexOf(version)
          const migration = byVersion.get(version)!
          return {
            version,
            direction: "down",
            name: migration.down.name,
            resultingVersion: at === 0 ? undefined : versions[at - 1],
            noTransaction: migration.down.noTransaction,
          }
        })
    }

    /**
     * --tx-mode all promises all or nothing: a file with its own COMMIT would commit the
     * migrations before it (and its own first part) while a later failure reported the
     * whole run rolled back. Refused before anything runs.
     */
    const refuseOwnTransactions = (steps: ReadonlyArray<PlannedStep>) =>
      Effect.flatMap(
        findTransactionControl(
          steps.map((step) => fileOf(byVersion.get(step.version)!, step.direction)),
        ),
        (found) =>
          found === undefined
            ? Effect.void
            : Effect.fail(
                new InvalidMigrationRequest({
                  message: `--tx-mode all runs every migration in one transaction, but ${printable(found.file.path)}:${found.statement.line}:${found.statement.column} controls the transaction itself (${found.statement.text.split(/\s/, 1)[0]!.toUpperCase()}): it would commit part of the run, and a later failure could not roll that back`,
                  hint: "run it with the default --tx-mode per-migration, or remove its BEGIN/COMMIT",
                  exitCode: 3,
                }),
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

    /** Plans under the lock (so the plan is what will run), then runs or only reports it. */
    const execute = (
      plan: (
        from: MigrationVersion | undefined,
      ) => Effect.Effect<ReadonlyArray<PlannedStep>, InvalidMigrationRequest>,
      dryRun: boolean,
    ) =>
      withMigrationLock(
        Effect.gen(function* () {
          // A migration's message sets its own statement_timeout, which PostgreSQL applies
          // to the statements after it in the same message only from version 13.
          yield* requireSupportedServer()
          const from = yield* current
          yield* requireClean(from)
          yield* requireKnown(from?.version)
          const steps = yield* plan(from)
          const outsideTransaction = steps.find((step) => step.noTransaction)
          if (txMode === "all" && outsideTransaction !== undefined) {
            return yield* new InvalidMigrationRequest({
              message: `--tx-mode all runs every migration in one transaction, but ${printable(outsideTransaction.name)} has \`-- coder:no-transaction\` (it cannot run inside a transaction)`,
              hint: "run it with the default --tx-mode per-migration, as coderd does",
              exitCode: 3,
            })
          }
          if (txMode === "all") yield* refuseOwnTransactions(steps)
          if (dryRun)
            return {
              from: from?.version,
              to: steps.length > 0 ? steps.at(-1)!.resultingVersion : from?.version,
              steps,
              dryRun,
            } satisfies MigrationResult
          // Nothing to do writes nothing, not even the tables.
          if (steps.length > 0) yield* state.ensure
          const done: Array<Done> = []
          if (txMode === "all" && steps.length > 0) {
            yield* runAllInOneTransaction(steps, done)
          } else if (steps.length > 0) {
            // Failed or interrupted, the migrations committed so far are made durable too.
            yield* runSteps(steps, done, ownTransactions, runStep).pipe(
              Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : makeDurable)),
              Effect.mapError(withUnflushed(done)),
            )
          }
          return {
            from: from?.version,
            to: steps.length > 0 ? steps.at(-1)!.resultingVersion : from?.version,
            steps: done,
            dryRun,
          } satisfies MigrationResult
        }),
      )

    /**
     * A step of the run's one transaction that cannot be chained: it has fixtures, or the
     * state table's schema needs quotes (its version is written on its own).
     */
    const stepInRunTransaction = (step: PlannedStep) =>
      Effect.gen(function* () {
        const file = fileOf(byVersion.get(step.version)!, step.direction)
        emitStart(step)
        const startedAt = new Date()
        const started = performance.now()
        yield* Effect.gen(function* () {
          yield* runFile(file)
          if (step.direction === "up") yield* fixturesOf(step.version)
        }).pipe(Effect.catch(failWholeRun(step, file)))
        yield* state.write(step.resultingVersion, false, historyEntry(step, file, startedAt))
        return reportDone(step, (performance.now() - started) / 1000)
      })

    /** The older design: every pending migration in one transaction (all or nothing). */
    const runAllInOneTransaction = (steps: ReadonlyArray<PlannedStep>, done: Array<Done>) =>
      db
        .transaction("MigrateAll", runSteps(steps, done, runTransaction, stepInRunTransaction), {
          settings: timeoutSettings,
        })
        .pipe(Effect.uninterruptible)

    const up = (options?: {
      readonly limit?: number | undefined
      readonly dryRun?: boolean | undefined
    }) =>
      execute(
        (from) => Effect.succeed(upSteps(from?.version, options?.limit)),
        options?.dryRun ?? false,
      )

    const down = (request: {
      readonly count: number | "all"
      readonly dryRun?: boolean | undefined
    }) =>
      execute(
        (from) =>
          Effect.succeed(
            downSteps(
              from?.version,
              request.count === "all" ? Number.POSITIVE_INFINITY : request.count,
            ),
          ),
        request.dryRun ?? false,
      )

    const goto = (target: number, dryRun = false) =>
      execute(
        (from) =>
          !byVersion.has(target)
            ? Effect.fail(
                new InvalidMigrationRequest({
                  message: `version ${target} is not in ${printable(source.dir)}`,
                  hint: `choose one of ${versions.slice(-5).join(", ")}${versions.length > 5 ? ", ..." : ""}`,
                  exitCode: 3,
                }),
              )
            : Effect.succeed(
                from === undefined || target > from.version
                  ? upSteps(from?.version).filter((s) => s.version <= target)
                  : downSteps(from.version, Number.POSITIVE_INFINITY).filter(
                      (s) => s.version > target,
                    ),
              ),
        dryRun,
      )

    /** Sets the version (and clears dirty) without running anything: the human repair. */
    const force = (version: number) =>
      withMigrationLock(
        Effect.gen(function* () {
          yield* state.refuseCoderV1
          if (version !== -1 && !byVersion.has(version)) {
            return yield* new InvalidMigrationRequest({
              message: `version ${version} is not in ${printable(source.dir)}`,
              hint: "force a version of this directory, or -1 for no version",
              exitCode: 3,
            })
          }
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
      const history: Map<number, HistoryEntry> = yield* state.lastApplied
      const migrations = source.migrations.map((m) => {
        // The dirty version is the one that failed part-way: not applied.
        const isApplied =
          version !== undefined &&
          (m.version < version.version || (m.version === version.version && !version.dirty))
        const entry = isApplied ? history.get(m.version) : undefined
        return {
          version: m.version,
          name: m.up.name,
          applied: isApplied,
          drift: entry !== undefined && entry.checksum !== m.up.checksum,
          appliedAt: entry?.finishedAt,
          durationMs: entry?.durationMs,
        }
      })
      return {
        table: state.table,
        version: version?.version,
        dirty: version?.dirty ?? false,
        latest: versions.at(-1),
        migrations,
        pending: migrations.filter((m) => !m.applied).length,
      } satisfies MigrationStatus
    })

    return { up, down, goto, force, status }
  })

export type Migrator = Effect.Success<ReturnType<typeof makeMigrator>>
