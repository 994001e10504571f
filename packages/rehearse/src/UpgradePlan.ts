import { type LintReport, lintMigrations } from "@coderops/lint"
import type { MigrationSet } from "@coderops/migrations"
import * as Effect from "effect/Effect"
import { type Recommendation, recommend } from "./Recommendations.js"
import { type Rehearsal, type RehearsalOptions, rehearseMigrations } from "./Rehearsal.js"

export interface UpgradePlanOptions {
  /** `Db` is the database to upgrade (else only a server: everything is pending). */
  readonly database: boolean
  readonly table?: string | undefined
  /** Rehearse the pending migrations too (measured lock times); otherwise lint only. */
  readonly rehearse?: Omit<RehearsalOptions, "database" | "table"> | undefined
}

export interface UpgradePlan {
  readonly databaseVersion: number | undefined
  readonly targetVersion: number | undefined
  readonly pending: ReadonlyArray<{ readonly version: number; readonly name: string }>
  readonly lint: LintReport
  readonly rehearsal: Rehearsal | undefined
  readonly recommendations: ReadonlyArray<Recommendation>
}

/**
 * What an upgrade to the directory's last migration will do to the database: the pending
 * migrations, their lint findings sized against the real tables, and with `rehearse` the
 * measured and extrapolated lock times and the actions that shorten them.
 */
export const planUpgrade = Effect.fn("UpgradePlan.plan")(function* (
  source: MigrationSet,
  options: UpgradePlanOptions,
) {
  const lint = yield* lintMigrations(source, {
    database: options.database,
    scope: { kind: "pending" },
    table: options.table,
  })
  const rehearsal =
    options.rehearse === undefined
      ? undefined
      : yield* rehearseMigrations(source, {
          ...options.rehearse,
          database: options.database,
          table: options.table,
        })
  return {
    databaseVersion: lint.databaseVersion,
    targetVersion: source.migrations.at(-1)?.version,
    pending: lint.migrations.map((m) => ({ version: m.version, name: m.name })),
    lint,
    rehearsal,
    recommendations: rehearsal === undefined ? [] : recommend(rehearsal),
  } satisfies UpgradePlan
})
