// Issue 17's accuracy check, side by side: the rehearsal's extrapolated blocked time on
// api_keys (scales ≤ 10% by default) against an independent reader probing api_keys while
// `migrate up` runs the same 000371 on the real database. Rounds alternate the two sides.
//
//   BENCH_API_KEYS=2000000 BENCH_FORM=slow|fast BENCH_ROUNDS=2 [BENCH_FULL=1] [BENCH_PURGE=1]
//   [BENCH_SCALES=0.01,0.03,0.1] node dist/rehearse-accuracy.js
import { copyFile, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { migrationsDir, slow371Path } from "@coderops/coder-schema"
import { type DatabaseSettings, Db } from "@coderops/db-core"
import { purgeExpiredApiKeys } from "@coderops/dbpurge"
import { Metrics, QueryMetrics } from "@coderops/metrics"
import { loadMigrations, makeMigrator } from "@coderops/migrations"
import { rehearseMigrations } from "@coderops/rehearse"
import { seedDeployment } from "@coderops/synthetic"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import pg from "pg"
import { compareSides, machine, median, withBenchServer } from "./harness.js"

const apiKeys = Number(process.env.BENCH_API_KEYS ?? 2_000_000)
const form = process.env.BENCH_FORM === "fast" ? "fast" : "slow"
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const scales = process.env.BENCH_SCALES?.split(",").map(Number)
/** BENCH_FULL=1: the rehearsal also runs at 100%, a second check of its extrapolation. */
const full = process.env.BENCH_FULL === "1"
/**
 * BENCH_PURGE=1: then once more, `db purge api-keys` (keys expired over 7 days) right
 * before `migrate up`, no VACUUM between: how long the reader waits after a purge.
 */
const purgeFirst = process.env.BENCH_PURGE === "1"

const on = <A, E>(settings: DatabaseSettings, program: Effect.Effect<A, E, Db | Metrics>) =>
  Effect.runPromise(
    Effect.provide(
      program,
      QueryMetrics.layerFor(settings).pipe(Layer.provideMerge(Metrics.layerWithoutProcess)),
    ),
  )

const script = (settings: DatabaseSettings, text: string) =>
  on(
    settings,
    Db.use((db) => db.script("BenchScript", text)),
  )

/** The bundled migrations, with 000371 in the form under test. */
const migrationDirectory = async () => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-bench-371-"))
  for (const name of await readdir(migrationsDir))
    if (name.endsWith(".sql")) await copyFile(join(migrationsDir, name), join(dir, name))
  if (form === "slow")
    await writeFile(
      join(dir, "000371_api_key_scopes_array_allow_list.up.sql"),
      await readFile(slow371Path, "utf8"),
    )
  return dir
}

/** The longest a `SELECT … FROM api_keys LIMIT 1` waited while `work` ran, in seconds. */
const longestRead = async <A>(url: string, work: () => Promise<A>) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  let longest = 0
  let done = false
  const reader = (async () => {
    while (!done) {
      const started = performance.now()
      await client.query("SELECT 1 FROM api_keys LIMIT 1")
      longest = Math.max(longest, (performance.now() - started) / 1000)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })()
  try {
    await work()
  } finally {
    done = true
    await reader
    await client.end()
  }
  return longest
}

await withBenchServer(async ({ settings, url }) => {
  const dir = await migrationDirectory()
  const source = await Effect.runPromise(loadMigrations(dir))
  const bench = { ...settings, database: "rehearse_accuracy" }
  const benchUrl = Object.assign(new URL(url), { pathname: "/rehearse_accuracy" }).toString()
  await script(settings, "CREATE DATABASE rehearse_accuracy")
  const setupStarted = performance.now()
  await on(
    bench,
    Effect.gen(function* () {
      const migrator = yield* makeMigrator(source)
      yield* migrator.goto(370)
      yield* seedDeployment({
        orgs: 10,
        users: 20_000,
        templatesPerOrg: 1,
        versionsPerTemplate: 1,
        presetsPerVersion: 1,
        apiKeys,
        expiredFraction: 0.9,
        seed: 1,
        now: new Date(),
      })
    }),
  )
  await script(bench, "VACUUM ANALYZE")
  // The seeded database, kept to restore before each `migrate up`.
  await script(settings, "CREATE DATABASE rehearse_accuracy_seeded TEMPLATE rehearse_accuracy")
  console.log(
    `setup: ${apiKeys} api_keys, ${form} 000371, ${((performance.now() - setupStarted) / 1000).toFixed(0)} s`,
  )
  /** The database as seeded, at 370 (its statistics are copied with it). */
  const restore = async () => {
    await script(settings, "DROP DATABASE rehearse_accuracy WITH (FORCE)")
    await script(settings, "CREATE DATABASE rehearse_accuracy TEMPLATE rehearse_accuracy_seeded")
    await script(bench, "CHECKPOINT")
  }
  const rehearsals: Array<{
    seconds: number
    whole: number
    wall: number
    fullBlocked: number | undefined
    fullWhole: number | undefined
  }> = []
  const ups: Array<{ reader: number; up: number }> = []
  const [rehearsed, reader] = await compareSides(
    [
      {
        name: "rehearsal: api_keys blocked, extrapolated",
        run: async () => {
          await restore()
          const started = performance.now()
          const rehearsal = await on(
            bench,
            rehearseMigrations(source, { database: true, scales, full, comparePurge: false }),
          )
          const estimate = rehearsal.variants[0]!.estimates.find((e) => e.version === 371)!
          const apiKeysBlocked = estimate.blocking.find((b) => b.table === "api_keys")!
          const blocked = apiKeysBlocked.blocked.predicted
          const wall = (performance.now() - started) / 1000
          rehearsals.push({
            seconds: blocked,
            whole: estimate.seconds.predicted,
            wall,
            fullBlocked: apiKeysBlocked.measuredFull,
            fullWhole: estimate.measuredFullSeconds,
          })
          console.log(
            `rehearsal: blocked ≈ ${blocked.toFixed(1)} s, whole ≈ ${estimate.seconds.predicted.toFixed(1)} s${full ? ` (at 100%: blocked ${apiKeysBlocked.measuredFull?.toFixed(1)} s, whole ${estimate.measuredFullSeconds?.toFixed(1)} s)` : ""}, in ${wall.toFixed(0)} s`,
          )
          return blocked
        },
      },
      {
        name: "migrate up: reader's longest wait on api_keys",
        run: async () => {
          await restore()
          const started = performance.now()
          const longest = await longestRead(benchUrl, () =>
            on(
              bench,
              Effect.flatMap(makeMigrator(source), (m) => m.up()),
            ),
          )
          const up = (performance.now() - started) / 1000
          ups.push({ reader: longest, up })
          console.log(`migrate up: ${up.toFixed(1)} s, reader waited ${longest.toFixed(1)} s`)
          return longest
        },
      },
    ],
    { rounds, warmup: 0 },
  )
  const afterPurge = purgeFirst
    ? await (async () => {
        await restore()
        const { purged } = await on(bench, purgeExpiredApiKeys({ retention: "7 days" }))
        const longest = await longestRead(benchUrl, () =>
          on(
            bench,
            Effect.flatMap(makeMigrator(source), (m) => m.up()),
          ),
        )
        console.log(`after a purge of ${purged} keys: reader waited ${longest.toFixed(2)} s`)
        return { purged, reader: longest, ofAsIs: longest / reader!.median }
      })()
    : undefined
  const ratio = rehearsed!.median / reader!.median
  console.log(
    JSON.stringify(
      {
        machine: machine(),
        apiKeys,
        form,
        scales: scales ?? "default",
        rehearsals,
        ups,
        medianExtrapolated: rehearsed!.median,
        medianReader: reader!.median,
        ratio,
        withinTarget: Math.abs(ratio - 1) <= 0.25,
        medianRehearsalWall: median(rehearsals.map((r) => r.wall)),
        afterPurge,
      },
      null,
      2,
    ),
  )
})
