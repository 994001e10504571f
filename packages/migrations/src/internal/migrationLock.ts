import { AdvisoryLockBusy, type DbShape } from "@coderops/db-core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { MigrationLockTimeout } from "../MigrationErrors.js"
import type { MigratorEvent } from "../MigratorEvent.js"
import { findLockHolders, type LockHolder } from "./lockHolders.js"

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

export interface MigrationLockOptions {
  readonly key: bigint
  /** How long to wait for it. */
  readonly wait: Duration.Duration
  readonly emit: (event: MigratorEvent) => void
  /** How long the wait took, in seconds, once the lock is held. */
  readonly onAcquired: (seconds: number) => void
}

/**
 * Holds the migration lock on one session for `body`. While another session holds it,
 * tries again every half second, saying who holds it (once per change of holders), and
 * fails naming them after `wait`.
 */
export const withMigrationLock = <A, E, R>(
  db: DbShape,
  options: MigrationLockOptions,
  body: Effect.Effect<A, E, R>,
) => {
  const { key, emit } = options
  const started = performance.now()
  let waited = false
  let reported = ""
  const attempt = db.withAdvisoryLock(
    key,
    Effect.andThen(
      Effect.sync(() => {
        const seconds = (performance.now() - started) / 1000
        options.onAcquired(seconds)
        if (waited) emit({ type: "lock-acquired", waitedSeconds: seconds })
      }),
      body,
    ),
    { wait: false },
  )
  const onBusy = Effect.gen(function* () {
    waited = true
    const holders = yield* findLockHolders(key)
    const holderKey = holders.map((h) => h.pid).join(",")
    // No holder: released since the attempt (pg_locks shows every holder's pid); the
    // next attempt will tell, so say nothing rather than "held by nobody".
    if (holderKey !== "" && holderKey !== reported) {
      reported = holderKey
      emit({ type: "lock-wait", holders })
    }
  })
  const isBusy = (error: unknown): error is AdvisoryLockBusy => error instanceof AdvisoryLockBusy
  return attempt.pipe(
    Effect.tapError((error) => (isBusy(error) ? onBusy : Effect.void)),
    Effect.retry({
      schedule: Schedule.spaced("500 millis").pipe(Schedule.upTo({ duration: options.wait })),
      while: isBusy,
    }),
    Effect.catchIf(isBusy, () =>
      Effect.flatMap(findLockHolders(key), (holders) => {
        const waitedSeconds = Math.round(Duration.toSeconds(options.wait))
        return Effect.fail(
          new MigrationLockTimeout({
            lockKey: key.toString(),
            holders,
            waitedSeconds,
            message: `the migration lock (advisory key ${key}) is still held after ${waitedSeconds} s, by ${describeLockHolders(holders)}`,
          }),
        )
      }),
    ),
  )
}
