import type { DbShape, SqlError } from "@coderops/db-core"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { MigrationPlan, PlannedStep } from "../MigrationPlan.js"
import type { MigrationSet } from "../MigrationSource.js"
import type { MigratorEvent } from "../MigratorEvent.js"
import type { SchemaMigrations } from "../SchemaMigrations.js"
import type { makeMigrationMessages, Settings } from "./migrationMessage.js"
import type { MigrationMetrics } from "./migrationMetrics.js"

/** What every step of a run shares: the database, the state table, the plan, the settings. */
export interface RunContext {
  readonly db: DbShape
  readonly state: SchemaMigrations
  readonly source: MigrationSet
  readonly plan: MigrationPlan
  readonly emit: (event: MigratorEvent) => void
  readonly metrics: MigrationMetrics
  /** lock_timeout and statement_timeout of every migration. */
  readonly timeouts: Settings
  readonly messages: ReturnType<typeof makeMigrationMessages>
  /** Apply testdata fixtures right after the migration with the same number. */
  readonly applyFixtures: boolean
  /** Attempts of a migration that hit lock_not_available or a deadlock. */
  readonly attempts: number
  readonly retryBase: Duration.Input
  /** The backend pid of the session the migrations run on (asked once per run, when needed). */
  readonly sessionPid: Effect.Effect<number, SqlError>
}

/** A step done, with how long it took. */
export type Done = PlannedStep & { readonly seconds: number }
