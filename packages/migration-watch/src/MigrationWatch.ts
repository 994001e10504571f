import { isApplied, type MigrationSet, splitStatements } from "@coderops/migrations"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { type BlockerAction, type CancelPolicy, makeBlockerCanceller } from "./BlockerCanceller.js"
import { type Expectation, type ExpectedDurations, expectationFor } from "./ExpectedDurations.js"
import { type MigrationActivity, readMigrationActivity } from "./MigrationActivity.js"
import { locateRunningMigration, type RunningMigration } from "./RunningMigration.js"

export interface WatchSnapshot extends MigrationActivity {
  /** How many migrations of the directory are not applied (a dirty version is not); without one, undefined. */
  readonly pending: number | undefined
  /** The pending migration the migrating session runs, when a directory was given and it matched. */
  readonly running: RunningMigration | undefined
  /** With a rehearsal's durations: what it expects of the running migration and the rest. */
  readonly expected: Expectation | undefined
  /** What was done to blocking sessions at this reading (only with a cancel policy). */
  readonly actions: ReadonlyArray<BlockerAction>
}

export interface WatchOptions {
  /** The advisory lock that marks a migration; Coder's by default. */
  readonly lockKey?: bigint | undefined
  readonly table?: string | undefined
  /** The migration directory, to tell which file and statement run. */
  readonly migrations?: MigrationSet | undefined
  /** Expected seconds per migration version, from a rehearsal (`expectedDurationsOf`). */
  readonly expected?: ExpectedDurations | undefined
  /** Time between readings. */
  readonly interval: Duration.Input
  /** One reading, then stop. */
  readonly once?: boolean | undefined
  /** Cancel (or end) sessions that block the migration for longer than `after`. */
  readonly cancel?: CancelPolicy | undefined
  readonly onSnapshot: (snapshot: WatchSnapshot) => Effect.Effect<void>
}

/** One reading: the activity, matched against the directory's pending migrations. */
export const readWatchSnapshot = Effect.fn("MigrationWatch.read")(function* (
  options: Pick<WatchOptions, "lockKey" | "table" | "migrations" | "expected">,
) {
  const activity = yield* readMigrationActivity(options)
  // A dirty version is not applied (as `migrate status` counts it): it is to be run again.
  const pending = options.migrations?.migrations.filter(
    (m) => !isApplied(activity.state, m.version),
  )
  const running =
    activity.migrating !== undefined && pending !== undefined
      ? yield* locateRunningMigration(activity.migrating, pending)
      : undefined
  const expected =
    running !== undefined && pending !== undefined && options.expected !== undefined
      ? expectationFor(
          running,
          pending.map((m) => m.version),
          options.expected,
        )
      : undefined
  return {
    ...activity,
    pending: pending?.length,
    running,
    expected,
    actions: [],
  } satisfies WatchSnapshot
})

/**
 * Reads what a migration is doing every `interval` until interrupted (or once), hands
 * each reading to `onSnapshot`, and applies the cancel policy when one is given. A reading
 * costs one catalog query and one read of the state table, on one connection.
 */
export const watchMigrations = Effect.fn("MigrationWatch.watch")(function* (options: WatchOptions) {
  const review = options.cancel === undefined ? undefined : makeBlockerCanceller(options.cancel)
  const interval = Duration.fromInputUnsafe(options.interval)
  // The SQL parser compiles on first use (about 0.4 s of CPU): do it now, not while a
  // migration runs and the watch would compete with it for the machine.
  if (options.migrations !== undefined) yield* Effect.promise(() => splitStatements("SELECT 1"))
  while (true) {
    const snapshot = yield* readWatchSnapshot(options)
    const actions = review === undefined ? [] : yield* review(snapshot)
    yield* options.onSnapshot({ ...snapshot, actions })
    if (options.once === true) return { ...snapshot, actions }
    yield* Effect.sleep(interval)
  }
})
