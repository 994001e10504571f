import { type WatchSnapshot, watchMigrations } from "@coderops/migration-watch"
import { type MigrationSet, makeMigrator } from "@coderops/migrations"
import { probeTargets, withProbe } from "@coderops/rehearse"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/** What applying the pending migrations looked like, to coderd and to a watch. */
export interface WatchedApply {
  readonly from: number | undefined
  readonly to: number | undefined
  readonly seconds: number
  /** Seconds coderd's reads and writes on the table waited (the probe's union of waits). */
  readonly blockedSeconds: number
  /** The longest single wait of one probe query. */
  readonly longestWaitSeconds: number
  /** Readings of the watch, and how many of them saw the migration running. */
  readonly readings: number
  readonly readingsWhileMigrating: number
  /** The most sessions a reading saw queued behind the migration's locks. */
  readonly mostBlockedSessions: number
  /** The statements the watch saw running (their first lines), in order. */
  readonly statementsSeen: ReadonlyArray<string>
}

/**
 * Applies the pending migrations of `source` (as `migrate up`) while a watch reads what
 * runs every 100 ms (as `migrate watch`) and a probe plays coderd on `table`: cheap reads
 * and writes, timed, as rehearsals do. The watch starts (and reads once) first.
 */
export const applyWatched = (
  source: MigrationSet,
  table: string,
  onReading: (snapshot: WatchSnapshot) => void,
) =>
  Effect.gen(function* () {
    const targets = yield* probeTargets([table])
    const migrator = yield* makeMigrator(source)
    const first = yield* Deferred.make<void>()
    const readings: Array<WatchSnapshot> = []
    const watch = yield* Effect.forkChild(
      watchMigrations({
        migrations: source,
        interval: "100 millis",
        onSnapshot: (snapshot) =>
          Effect.andThen(
            Effect.sync(() => {
              readings.push(snapshot)
              onReading(snapshot)
            }),
            Deferred.succeed(first, undefined),
          ),
      }),
    )
    yield* Deferred.await(first)
    const origin = performance.now()
    const { result, blocking } = yield* Effect.ensuring(
      withProbe(targets, migrator.up(), { origin }),
      Fiber.interrupt(watch),
    )
    const seconds = (performance.now() - origin) / 1000
    const probed = blocking.find((b) => b.table === table)
    const migrating = readings.filter((r) => r.migrating !== undefined)
    const statements = migrating.flatMap((r) =>
      r.running?.statement === undefined ? [] : [r.running.statement.text],
    )
    return {
      from: result.from,
      to: result.to,
      seconds,
      blockedSeconds: probed?.blockedSeconds ?? 0,
      longestWaitSeconds: probed?.longestSeconds ?? 0,
      readings: readings.length,
      readingsWhileMigrating: migrating.length,
      mostBlockedSessions: Math.max(0, ...migrating.map((r) => r.blocked.length)),
      statementsSeen: statements.filter((s, i) => s !== statements[i - 1]),
    } satisfies WatchedApply
  })
