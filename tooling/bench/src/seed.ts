// Seeding speed: 5,000,000 API keys (1 organization, 1,000 users) loaded with COPY into
// the schema as it is before migration 000371, as for a rehearsal of that migration.
// Each run seeds a fresh database on a throwaway server; target: under 60 s with ANALYZE.
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { migrationsDir } from "@coderops/coder-schema"
import { type DatabaseSettings, Db } from "@coderops/db-core"
import { seedDeployment } from "@coderops/synthetic"
import * as Effect from "effect/Effect"
import { machine, median, withBenchServer } from "./harness.js"

const runs = Number(process.env.BENCH_ROUNDS ?? 3)
const apiKeys = Number(process.env.BENCH_API_KEYS ?? 5_000_000)
const targetSeconds = 60

const baseline = await readFile(join(migrationsDir, "000370_baseline.up.sql"), "utf8")

const onDatabase = <A, E>(settings: DatabaseSettings, program: Effect.Effect<A, E, Db>) =>
  Effect.runPromise(Effect.provide(program, Db.layerFrom(settings)))

await withBenchServer(async ({ settings }) => {
  console.log(
    `machine: ${machine()}; ${runs} runs of 1 organization, 1,000 users, ${apiKeys.toLocaleString("en-US")} API keys (60% expired), schema at 000370`,
  )
  console.log(
    "| run | api_keys load | rows/s | total with ANALYZE | api_keys size (heap + indexes) | target |",
  )
  console.log("|---|---|---|---|---|---|")
  const totals: Array<number> = []
  for (let run = 1; run <= runs; run++) {
    const database = `seed_bench_${run}`
    await onDatabase(
      settings,
      Db.use((db) => db.script("CreateBenchDatabase", `CREATE DATABASE ${database}`)),
    )
    const target = { ...settings, database }
    let keySeconds = 0
    const { report, size } = await onDatabase(
      target,
      Effect.gen(function* () {
        const db = yield* Db
        yield* db.script("ApplyBaseline", baseline)
        const report = yield* seedDeployment({
          orgs: 1,
          users: 1000,
          templatesPerOrg: 1,
          versionsPerTemplate: 1,
          presetsPerVersion: 1,
          apiKeys,
          expiredFraction: 0.6,
          seed: run,
          onProgress: (table, _rows, seconds) => {
            if (table === "api_keys") keySeconds = seconds
          },
        })
        const [size] = yield* db.query<{ heap: string; total: string }>(
          "GetApiKeysSize",
          `SELECT pg_size_pretty(pg_relation_size('api_keys')) AS heap,
                  pg_size_pretty(pg_total_relation_size('api_keys')) AS total`,
        )
        return { report, size: size! }
      }),
    )
    totals.push(report.seconds)
    const verdict = report.seconds < targetSeconds ? "met" : "MISSED"
    console.log(
      `| ${run} | ${keySeconds.toFixed(1)} s | ${Math.round(report.apiKeys / keySeconds).toLocaleString("en-US")} | ${report.seconds.toFixed(1)} s | ${size.heap} + indexes = ${size.total} | < ${targetSeconds} s: ${verdict} |`,
    )
    // Each run's database is about 1.5 GB: drop it before the next.
    await onDatabase(
      settings,
      Db.use((db) => db.script("DropBenchDatabase", `DROP DATABASE ${database}`)),
    )
  }
  const worst = Math.max(...totals)
  console.log(
    `median total ${median(totals).toFixed(1)} s, worst ${worst.toFixed(1)} s (target < ${targetSeconds} s: ${worst < targetSeconds ? "met" : "MISSED"})`,
  )
})
