import { migrationsDir, slow371Path } from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { type ApiKeyPurgeProgress, purgeExpiredApiKeys } from "@coderops/dbpurge"
import { exporterCollectors } from "@coderops/inspect"
import { Metrics, makeExporter } from "@coderops/metrics"
import type { WatchSnapshot } from "@coderops/migration-watch"
import {
  loadMigrationFile,
  loadMigrations,
  type MigrationSet,
  makeMigrator,
} from "@coderops/migrations"
import {
  defaultLeaderLockKey,
  type ReconcileReport,
  reconcileAll,
} from "@coderops/prebuilds-reconcile"
import { planUpgrade, type Rehearsal, type UpgradePlan } from "@coderops/rehearse"
import { type SeedTableProgress, seedDeployment } from "@coderops/synthetic"
import * as Effect from "effect/Effect"
import { withDemoDatabase } from "./DemoDatabase.js"
import type { DemoSize } from "./DemoSize.js"
import type { DemoStep, DemoStepName, DemoSummary, FormPlan, ReconcilePass } from "./DemoSummary.js"
import { applyWatched } from "./internal/apply.js"
import { samplesOf } from "./internal/exposition.js"

/** The version the demo upgrades to, and the one it starts from. */
const target = 371
const baseline = 370

export type DemoEvent =
  | { readonly type: "start"; readonly name: DemoStepName; readonly title: string }
  | { readonly type: "done"; readonly step: DemoStep }

/** What is happening inside a long step: a table loading, keys purged, a watch reading. */
export type DemoProgress =
  | { readonly kind: "seed"; readonly progress: SeedTableProgress }
  | { readonly kind: "rehearse"; readonly form: "slow" | "fast"; readonly step: string }
  | { readonly kind: "purge"; readonly progress: ApiKeyPurgeProgress }
  | { readonly kind: "watch"; readonly snapshot: WatchSnapshot }

export interface DemoOptions {
  readonly size: DemoSize
  /** Leave the database at 000371 with its deployment, for exploring. */
  readonly keep: boolean
  readonly onEvent?: ((event: DemoEvent) => void) | undefined
  readonly onProgress?: ((progress: DemoProgress) => void) | undefined
}

export interface DemoRun {
  readonly summary: DemoSummary
  /** The rehearsal of the original 000371, with and without a purge (for a report). */
  readonly slowRehearsal: Rehearsal | undefined
}

const count = (n: number) => n.toLocaleString("en-US")

/** The original 000371 in place of the bundled one: what Coder v2.27 first shipped. */
const withSlow371 = (bundled: MigrationSet) =>
  Effect.map(loadMigrationFile(slow371Path), (up) => ({
    ...bundled,
    migrations: bundled.migrations.map((m) => (m.version === target ? { ...m, up } : m)),
  }))

/** api_keys' blocked time in a rehearsal variant: measured at 100% when it ran there. */
const blockedOnApiKeys = (rehearsal: Rehearsal | undefined, variant: "as-is" | "purged") => {
  const estimate = rehearsal?.variants
    .find((v) => v.name === variant)
    ?.estimates.find((e) => e.version === target)
  const blocking = estimate?.blocking.find((b) => b.table === "api_keys")
  return {
    seconds: blocking === undefined ? 0 : (blocking.measuredFull ?? blocking.blocked.predicted),
    how: blocking?.measuredFull === undefined ? ("extrapolated" as const) : ("measured" as const),
    migrationSeconds: estimate?.measuredFullSeconds ?? estimate?.seconds.predicted ?? 0,
    found: blocking !== undefined,
  }
}

const formPlan = (form: "slow" | "fast", plan: UpgradePlan, file: string): FormPlan => {
  const asIs = blockedOnApiKeys(plan.rehearsal, "as-is")
  const purged = blockedOnApiKeys(plan.rehearsal, "purged")
  return {
    form,
    file,
    findings: plan.lint.findings
      .filter((f) => f.version === target)
      .map((f) => ({ rule: f.rule, severity: f.severity, line: f.line, message: f.message })),
    apiKeysBlockedSeconds: asIs.seconds,
    apiKeysBlocked: asIs.how,
    apiKeysBlockedAfterPurgeSeconds: purged.found ? purged.seconds : undefined,
    migrationSeconds: asIs.migrationSeconds,
  }
}

const passOf = (report: ReconcileReport): ReconcilePass => ({
  organizationsChecked: report.organizationsChecked,
  membershipsCreated: report.membershipsCreated,
  groupsCreated: report.groupsCreated,
  groupMembershipsCreated: report.groupMembershipsCreated,
  errors: report.errors.length,
  queries: report.queries,
  seconds: report.seconds,
})

const seconds = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} s`

/**
 * The tour: in a database of its own on `Db`'s server, the bundled schema at 000370 and a
 * synthetic deployment; the upgrade plan of 000371 in its original (slow) and its fast
 * form, lint findings and rehearsed lock times; the purge of expired API keys; 000371
 * applied while a watch reads it and a probe plays coderd; a cold then a steady reconcile
 * pass; the exporter's metrics. Each step is timed and reported through `onEvent`. The
 * database is dropped at the end (also on failure or interruption), unless `keep`.
 */
export const runDemo = Effect.fn("Demo.run")(function* (options: DemoOptions) {
  const startedAt = new Date()
  const origin = performance.now()
  const steps: Array<DemoStep> = []
  const progress = options.onProgress ?? (() => {})
  const begin = (name: DemoStepName, title: string) => {
    options.onEvent?.({ type: "start", name, title })
    return { name, title, startedAt: new Date(), at: performance.now() }
  }
  const end = (started: ReturnType<typeof begin>, detail: string) => {
    const step: DemoStep = {
      name: started.name,
      title: started.title,
      startedAt: started.startedAt.toISOString(),
      seconds: (performance.now() - started.at) / 1000,
      detail,
    }
    steps.push(step)
    options.onEvent?.({ type: "done", step })
  }
  /** Runs `work` as the step `name`, its detail worded from its result. */
  const step = <A, E, R>(
    name: DemoStepName,
    title: string,
    work: Effect.Effect<A, E, R>,
    detail: (a: A) => string,
  ) =>
    Effect.gen(function* () {
      const started = begin(name, title)
      const result = yield* work
      end(started, detail(result))
      return result
    })

  const creating = begin("database", "create the demo database")
  return yield* withDemoDatabase(
    (database) =>
      Effect.gen(function* () {
        end(
          creating,
          `${database.name}${database.replaced ? " (replaced the one an earlier run kept)" : ""}`,
        )
        const db = yield* Db
        const metrics = yield* Metrics
        const bundled = yield* loadMigrations(migrationsDir)
        const slow = yield* withSlow371(bundled)

        yield* step(
          "migrate",
          "migrate the bundled schema to 000370",
          Effect.flatMap(makeMigrator(bundled), (migrator) => migrator.goto(baseline)),
          (result) => `${result.from ?? "no version"} → ${result.to}`,
        )

        const seeded = yield* step(
          "seed",
          "seed a synthetic deployment",
          Effect.tap(
            seedDeployment({
              ...options.size.seed,
              seed: 1,
              // Whole seconds, as the generated timestamps; expiry is relative to it.
              now: new Date(Math.floor(Date.now() / 1000) * 1000),
              onRows: (rows) => progress({ kind: "seed", progress: rows }),
            }),
            // The upgrade plan shapes its data by the planner's statistics.
            () => db.script("DemoAnalyze", "ANALYZE"),
          ),
          (r) =>
            `${count(r.organizations)} organizations, ${count(r.users)} users, ${count(r.presets)} presets, ${count(r.apiKeys)} API keys (${count(r.expiredApiKeys)} expired over 7 days ago)`,
        )

        const rehearse = (form: "slow" | "fast") => ({
          scales: options.size.scales,
          full: options.size.full,
          // The fast form purges inside itself: a purge first would change nothing.
          comparePurge: form === "slow" && options.size.rehearsePurge,
          onProgress: (text: string) => progress({ kind: "rehearse", form, step: text }),
        })
        const describePlan = (plan: FormPlan) =>
          `${plan.findings.length} findings (${[...new Set(plan.findings.map((f) => f.rule))].join(", ") || "none"}); api_keys blocked ≈ ${seconds(plan.apiKeysBlockedSeconds)} (${plan.apiKeysBlocked})${plan.apiKeysBlockedAfterPurgeSeconds === undefined ? "" : `, ≈ ${seconds(plan.apiKeysBlockedAfterPurgeSeconds)} after a purge`}`
        const slowPlan = yield* step(
          "plan-slow",
          "upgrade plan of 000371 in its original, slow form",
          planUpgrade(slow, { database: true, rehearse: rehearse("slow") }),
          (plan) => describePlan(formPlan("slow", plan, slow371Path)),
        )
        const fastUp = bundled.migrations.find((m) => m.version === target)?.up.path ?? ""
        const fastPlan = yield* step(
          "plan-fast",
          "upgrade plan of 000371 in its fast form (bundled)",
          planUpgrade(bundled, { database: true, rehearse: rehearse("fast") }),
          (plan) => describePlan(formPlan("fast", plan, fastUp)),
        )

        const purge = yield* step(
          "purge",
          "purge API keys expired over 7 days",
          purgeExpiredApiKeys({
            retention: "7 days",
            onProgress: (p) => progress({ kind: "purge", progress: p }),
          }),
          (r) => `${count(r.purged)} keys in ${count(r.batches)} batches`,
        )

        const applied = yield* step(
          "apply",
          "apply 000371 (fast form) while a watch reads it and a probe plays coderd",
          applyWatched(bundled, "api_keys", (snapshot) => progress({ kind: "watch", snapshot })),
          (a) =>
            `${a.from} → ${a.to} in ${seconds(a.seconds)}; api_keys blocked ${seconds(a.blockedSeconds)} (measured); ${a.readingsWhileMigrating} of ${a.readings} readings saw it run, up to ${a.mostBlockedSessions} sessions queued`,
        )

        const reconcileDetail = (r: ReconcileReport) =>
          `${count(r.organizationsChecked)} organizations: ${count(r.membershipsCreated)} memberships, ${count(r.groupsCreated)} groups, ${count(r.groupMembershipsCreated)} group memberships created; ${r.queries} ${r.queries === 1 ? "query" : "queries"}`
        const reconcile = reconcileAll({ leaderLockKey: defaultLeaderLockKey })
        const cold = yield* step(
          "reconcile-cold",
          "reconcile prebuilds memberships: cold pass",
          reconcile,
          reconcileDetail,
        )
        const steady = yield* step(
          "reconcile-steady",
          "reconcile prebuilds memberships: steady pass",
          reconcile,
          reconcileDetail,
        )

        const series = yield* step(
          "metrics",
          "read the exporter's metrics",
          Effect.gen(function* () {
            // The exporter's row counts are the planner's: as of now, not of the seeding.
            yield* db.script("DemoAnalyze", "ANALYZE")
            const exporter = yield* makeExporter(exporterCollectors(), {
              minRefresh: 0,
              timeout: "10 seconds",
            })
            yield* exporter.refresh
            // Not the series of each preset: 40,000 of them at the medium size.
            return samplesOf(yield* Effect.promise(() => metrics.exposition())).filter(
              (sample) => sample.labels.preset_name === undefined,
            )
          }),
          (s) => `${s.length} series`,
        )

        const slowForm = formPlan("slow", slowPlan, slow371Path)
        const before = slowForm.apiKeysBlockedSeconds
        const after = applied.blockedSeconds
        const summary: DemoSummary = {
          size: options.size.name,
          startedAt: startedAt.toISOString(),
          seconds: (performance.now() - origin) / 1000,
          database: {
            name: database.name,
            replaced: database.replaced,
            kept: options.keep,
            url: options.keep ? database.redactedUrl : undefined,
            version: applied.to,
          },
          deployment: {
            organizations: seeded.organizations,
            organizationsWithPrebuilds: seeded.organizationsWithPrebuilds,
            users: seeded.users,
            templates: seeded.templates,
            templateVersions: seeded.templateVersions,
            presets: seeded.presets,
            apiKeys: seeded.apiKeys,
            expiredApiKeys: seeded.expiredApiKeys,
          },
          steps,
          plan: { slow: slowForm, fast: formPlan("fast", fastPlan, fastUp) },
          lockTime: {
            table: "api_keys",
            beforePurge: {
              seconds: before,
              how: slowForm.apiKeysBlocked,
              source: `rehearsal of the original 000371 on the seeded data (${count(seeded.apiKeys)} keys), ${slowForm.apiKeysBlocked === "measured" ? "measured on the whole table" : "extrapolated from fractions of it"}`,
            },
            afterPurge: {
              seconds: after,
              how: "measured",
              source: `000371 (fast form) applied after the purge (${count(seeded.apiKeys - purge.purged)} keys left), coderd's queries on api_keys probed`,
            },
            ratio: after > 0 ? Math.round((before / after) * 10) / 10 : undefined,
          },
          purge: {
            cutoff: purge.cutoff,
            purged: purge.purged,
            batches: purge.batches,
            seconds: purge.seconds,
          },
          apply: {
            from: applied.from,
            to: applied.to,
            seconds: applied.seconds,
            apiKeysBlockedSeconds: applied.blockedSeconds,
            longestWaitSeconds: applied.longestWaitSeconds,
            readings: applied.readings,
            readingsWhileMigrating: applied.readingsWhileMigrating,
            mostBlockedSessions: applied.mostBlockedSessions,
            statementsSeen: applied.statementsSeen,
          },
          reconcile: { cold: passOf(cold), steady: passOf(steady) },
          metrics: series,
        }
        return { summary, slowRehearsal: slowPlan.rehearsal } satisfies DemoRun
      }),
    // Probe (2), watch (1), the migration's session and its blocker lookups, collectors.
    { keep: options.keep, poolSize: 8 },
  )
})
