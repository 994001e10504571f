import type { DbShape } from "@coderops/db-core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type { MigratorEvent } from "../MigratorEvent.js"
import type { Direction } from "../SchemaMigrations.js"
import { findBlockingSessions } from "./blockingSessions.js"

export interface WatchOptions {
  /** A migration running longer than this is reported. */
  readonly after: Duration.Duration
  /** How often it is reported (and its blockers looked up) while it runs. */
  readonly every: Duration.Duration
}

interface Running {
  readonly version: number
  readonly direction: Direction
  readonly name: string
  readonly started: number
}

/**
 * Watches a run for long migrations: every `every`, a migration running longer than
 * `after` is reported with its elapsed time and the sessions that block its session (the
 * one holding the migration lock), looked up on another connection of the pool. It
 * follows the run through the migrator's own events, so the run's path is unchanged.
 */
export const makeMigrationWatch = (
  db: DbShape,
  options: WatchOptions,
  emit: (event: MigratorEvent) => void,
) => {
  let session: number | undefined
  let running: Running | undefined

  const observe = (event: MigratorEvent) => {
    if (event.type === "start") running = { ...event, started: performance.now() }
    // In a chain, the next migration starts before the one before it is reported done.
    else if (
      event.type === "done" &&
      running?.version === event.version &&
      running.direction === event.direction
    )
      running = undefined
  }

  const check = Effect.gen(function* () {
    const step = running
    const pid = session
    if (step === undefined || pid === undefined) return
    const seconds = (performance.now() - step.started) / 1000
    if (seconds < Duration.toSeconds(options.after)) return
    // Best effort: a lookup that fails or hangs costs one report its blockers, not the run.
    const blockedBy = yield* findBlockingSessions(db, pid).pipe(
      Effect.timeoutOption(options.every),
      Effect.map(Option.getOrElse(() => [])),
      Effect.orElseSucceed(() => []),
    )
    if (running !== step) return
    emit({
      type: "running",
      version: step.version,
      direction: step.direction,
      name: step.name,
      seconds,
      blockedBy,
    })
  })

  return {
    observe,
    /** The backend pid of the session the migrations run on. */
    setSession: (pid: number | undefined) => {
      session = pid
    },
    /**
     * Runs `body` with the watch alongside. Forked here, outside the migration lock's
     * session, its statements take other connections of the pool.
     */
    around: <A, E, R>(body: Effect.Effect<A, E, R>) =>
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          Effect.forever(Effect.andThen(Effect.sleep(options.every), check)),
        )
        return yield* Effect.ensuring(body, Fiber.interrupt(fiber))
      }),
  }
}
