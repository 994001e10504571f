import { readdir, readFile } from "node:fs/promises"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { migrationsDir } from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { purgeExpiredApiKeys } from "@coderops/dbpurge"
import { exporterCollectors, inspectDatabase, runDoctor } from "@coderops/inspect"
import { lintMigrations } from "@coderops/lint"
import { instrumentedDatabase, type Metrics, makeExporter } from "@coderops/metrics"
import { loadMigrations, makeMigrator } from "@coderops/migrations"
import { getPresetStates, readPrebuildStatus, reconcileAll } from "@coderops/prebuilds-reconcile"
import { rehearseMigrations } from "@coderops/rehearse"
import {
  generateFaithfulData,
  readStatistics,
  seedDeployment,
  type TableStatistics,
} from "@coderops/synthetic"
import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import { useTestDatabase } from "@coderops/test-postgres"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import pg from "pg"
import { beforeAll, describe, expect, it } from "vitest"

// Every named statement coderops runs against Coder's tables must work on the bundled
// schema, which is column for column Coder's: each library program that reads or writes
// them runs here against a database migrated with it, and a statement that names a
// column or table Coder does not have fails its program. The sources are scanned for the
// statement names given to Db, so a statement no program here runs fails the test too.

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..")

/**
 * The migration runner's statements read and write only its own state tables and the
 * catalogs, never Coder's tables; its failure paths (rollback, replay to locate an error,
 * naming a lock holder) are covered by the migrations package's tests.
 */
const runnerSources = "packages/migrations/src/"

/**
 * Sources whose statements run only on a scratch database (lint's tracing, the rehearsal's
 * run and probe) or the demo's own: it has a Db of its own, which this recorder does not
 * see. They read the catalog and run the migrations' own SQL; the rehearsal's tests run
 * them on the bundled schema with seeded rows (packages/rehearse/test/Rehearsal.test.ts),
 * the demo's test its whole tour (apps/coderops/test/demo.test.ts).
 */
const scratchSources = [
  "packages/lint/src/internal/catalog.ts",
  "packages/lint/src/internal/scratch.ts",
  "packages/lint/src/internal/trace.ts",
  "packages/rehearse/src/CacheFit.ts",
  "packages/rehearse/src/InstrumentedRun.ts",
  "packages/rehearse/src/Probe.ts",
  "packages/rehearse/src/Rehearsal.ts",
  "packages/rehearse/src/ScratchServer.ts",
  "packages/demo/src/Demo.ts",
  "packages/demo/src/DemoDatabase.ts",
]

const sourceFiles = async (): Promise<Array<string>> => {
  const packages = await readdir(join(root, "packages"))
  const files: Array<string> = []
  for (const name of packages) {
    const src = join(root, "packages", name, "src")
    const entries = await readdir(src, { recursive: true }).catch(() => [])
    for (const entry of entries) if (entry.endsWith(".ts")) files.push(join(src, entry))
  }
  return files
}

/** Names given literally as the first argument of Db's statement methods. */
const statementNames = (text: string): Array<string> => {
  const names: Array<string> = []
  const call = /\.(?:query|execute|script|scriptChain|copyFrom)\s*(<)?/g
  for (let match = call.exec(text); match !== null; match = call.exec(text)) {
    let at = match.index + match[0].length
    if (match[1]) {
      // Skip the type arguments, which may nest (and contain `=>`).
      let depth = 1
      while (depth > 0 && at < text.length) {
        const c = text[at]
        if (c === "<") depth++
        else if (c === ">" && text[at - 1] !== "=") depth--
        at++
      }
    }
    const name = /^\(\s*["'`]([A-Za-z]+)["'`]\s*,/.exec(text.slice(at))
    if (name) names.push(name[1]!)
  }
  return names
}

const scan = async () => {
  const byName = new Map<string, string>()
  for (const file of await sourceFiles()) {
    const path = relative(root, file)
    for (const name of statementNames(await readFile(file, "utf8"))) byName.set(name, path)
  }
  return byName
}

interface Executed {
  readonly name: string
  readonly outcome: "ok" | "error"
  readonly error: string | undefined
}

const executed: Array<Executed> = []
const failures: Array<string> = []

/** Runs `program` with every statement recorded into `executed`. */
const recorded = <A, E>(url: string, program: Effect.Effect<A, E, Db | Metrics>) =>
  Effect.runPromise(
    Effect.provide(
      Db.use((db) => {
        const remove = db.addObserver({
          onQuery: (event) =>
            executed.push({ name: event.name, outcome: event.outcome, error: event.error }),
        })
        return Effect.ensuring(program, Effect.sync(remove))
      }),
      instrumentedDatabase(url),
    ),
  )

/** One program; its failure is recorded, so that the programs after it still run. */
const attempt = <A, E, R>(label: string, program: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(program), (exit) =>
    Effect.sync(() => {
      if (Exit.isFailure(exit)) failures.push(`${label}: ${Cause.pretty(exit.cause)}`)
    }),
  )

// Keys that expired a day ago or more; 000371 already purged those older than 7 days.
const day = 24 * 3600 * 1000

const deployment = {
  orgs: 4,
  users: 12,
  templatesPerOrg: 2,
  versionsPerTemplate: 2,
  presetsPerVersion: 2,
  apiKeys: 300,
  expiredFraction: 0.5,
  seed: 7,
  presetDesiredFraction: 0.75,
  prebuiltWorkspacesPerPreset: 2,
  reconciledFraction: 0.25,
}

const before371 = useTestDatabase()
const after371 = useTestDatabase()
const faithful = useTestDatabase()

beforeAll(async () => {
  // A deployment seeded on the schema before 000371 (api_keys.scope), migrated to 000371
  // over its rows by the runner, then every program that reads or writes Coder's tables.
  await recorded(
    before371.url,
    Effect.gen(function* () {
      const migrator = yield* makeMigrator(yield* loadMigrations(migrationsDir))
      yield* migrator.goto(370)
      yield* seedDeployment({ ...deployment, now: new Date() })
      // Before the upgrade: 000371 linted and rehearsed against the seeded database.
      const bundled = yield* loadMigrations(migrationsDir)
      yield* attempt("lint", lintMigrations(bundled, { database: true }))
      yield* attempt("rehearse", rehearseMigrations(bundled, { database: true, scales: [0.5] }))
      yield* migrator.up()
      yield* migrator.status

      yield* attempt("prebuilds status", readPrebuildStatus())
      yield* attempt("preset states", getPresetStates())
      yield* attempt("reconcile --dry-run", reconcileAll({ dryRun: true }))
      // Another reconciler creates one organization's group between the read and the
      // writes, so the group insert skips it and the reconciler reads it back.
      yield* attempt(
        "reconcile",
        reconcileAll({
          afterRead: (statuses) =>
            Effect.promise(async () => {
              const organization = statuses.find((s) => s.groupId === undefined)
              if (organization === undefined) return
              const other = new pg.Client({ connectionString: before371.url })
              await other.connect()
              await other.query(
                `INSERT INTO groups (id, name, organization_id, display_name)
                 VALUES (gen_random_uuid(), 'coderprebuiltworkspaces', $1, 'Prebuilt Workspaces')`,
                [organization.organizationId],
              )
              await other.end()
            }),
        }),
      )
      yield* attempt("purge --dry-run", purgeExpiredApiKeys({ retention: day, dryRun: true }))
      yield* attempt("purge", purgeExpiredApiKeys({ retention: day, batchSize: 50 }))
      const collectors = exporterCollectors()
      for (const collector of collectors)
        yield* attempt(`collector ${collector.name}`, collector.collect)
      // The exporter wraps each collector in statements of its own (its server-side limits).
      yield* attempt(
        "exporter refresh",
        Effect.flatMap(makeExporter(collectors), (exporter) => exporter.refresh),
      )
      yield* attempt("db info", inspectDatabase())
      yield* attempt("doctor", runDoctor())
    }),
  )
  // The seeder's other path: a database already at 000371 (scopes, allow_list).
  let statistics: ReadonlyArray<TableStatistics> = []
  await recorded(
    after371.url,
    Effect.gen(function* () {
      yield* applyCoderSchemaForTests()
      yield* attempt("seed at 371", seedDeployment(deployment))
      yield* attempt(
        "statistics",
        Effect.map(readStatistics(["users", "api_keys"]), (read) => {
          statistics = read
        }),
      )
    }),
  )
  // A rehearsal's data: api_keys (and its users) from the seeded database's statistics.
  await recorded(
    faithful.url,
    Effect.andThen(
      applyCoderSchemaForTests(),
      attempt("faithful data", generateFaithfulData({ tables: ["api_keys"], statistics })),
    ),
  )
}, 120_000)

describe("named statements on the bundled Coder schema", () => {
  it("every statement the programs ran succeeded", () => {
    expect(failures).toEqual([])
    expect(executed.length).toBeGreaterThan(0)
    expect(executed.filter((e) => e.outcome === "error")).toEqual([])
  })

  it("every statement named in the sources ran (outside the migration runner)", async () => {
    const names = await scan()
    // The scan itself must see the statements this issue is about.
    expect(names.get("GetPrebuildPresetStates")).toBe(
      "packages/prebuilds-reconcile/src/PresetState.ts",
    )
    expect(names.size).toBeGreaterThan(30)
    const ran = new Set(executed.filter((e) => e.outcome === "ok").map((e) => e.name))
    const missing = [...names]
      .filter(
        ([name, file]) =>
          !file.startsWith(runnerSources) && !scratchSources.includes(file) && !ran.has(name),
      )
      .map(([name, file]) => `${name} (${file})`)
    expect(missing).toEqual([])
  })

  it("the scan finds names however the call is written", () => {
    expect(
      statementNames(`
        db.query<{ a: Array<{ b: number }>; f: () => void }>(
          "Typed",
          "SELECT 1")
        yield* db.execute("Plain", "DELETE FROM t")
        db.copyFrom(\`Copy\`, text, rows)
        db.script(\`Apply \${file}\`, text)`),
    ).toEqual(["Typed", "Plain", "Copy"])
  })
})
