// Statistics-faithful generation speed: api_keys (and the users they need) generated from
// the statistics of a seeded database into a fresh one at the bundled schema, loaded with
// COPY. Reports rows/s of the api_keys load, and the share of expired keys and of tokens
// in the source and in the copy.
import { type DatabaseSettings, Db } from "@coderops/db-core"
import {
  generateFaithfulData,
  readStatistics,
  seedDeployment,
  tablesWithParents,
} from "@coderops/synthetic"
import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import * as Effect from "effect/Effect"
import { machine, withBenchServer } from "./harness.js"

const sourceKeys = Number(process.env.BENCH_SOURCE_KEYS ?? 200_000)
const apiKeys = Number(process.env.BENCH_API_KEYS ?? 1_000_000)
const now = new Date("2026-06-01T00:00:00Z")

const onDatabase = <A, E>(settings: DatabaseSettings, program: Effect.Effect<A, E, Db>) =>
  Effect.runPromise(Effect.provide(program, Db.layerFrom(settings)))

const shares = Db.use((db) =>
  db.query<{ rows: number; expired: number; token: number }>(
    "GetApiKeyShares",
    `SELECT count(*)::int AS rows,
            avg((expires_at < '2026-05-25 00:00:00+00'::timestamptz)::int)::float8 AS expired,
            avg((login_type = 'token')::int)::float8 AS token
       FROM api_keys`,
  ),
)

await withBenchServer(async ({ settings }) => {
  const create = (database: string) =>
    onDatabase(
      settings,
      Db.use((db) => db.script("CreateBenchDatabase", `CREATE DATABASE ${database}`)),
    )
  await create("faithful_source")
  await create("faithful_copy")
  const source = { ...settings, database: "faithful_source" }
  const copy = { ...settings, database: "faithful_copy" }
  await onDatabase(source, applyCoderSchemaForTests())
  await onDatabase(copy, applyCoderSchemaForTests())
  let seedRate = 0
  await onDatabase(
    source,
    seedDeployment({
      onProgress: (table, rows, seconds) => {
        if (table === "api_keys") seedRate = rows / seconds
      },
      orgs: 3,
      users: 5_000,
      templatesPerOrg: 0,
      versionsPerTemplate: 1,
      presetsPerVersion: 0,
      apiKeys: sourceKeys,
      expiredFraction: 0.9,
      seed: 1,
      now,
    }),
  )
  const tables = await onDatabase(copy, tablesWithParents(["api_keys"]))
  const statistics = await onDatabase(source, readStatistics(tables))
  const report = await onDatabase(
    copy,
    generateFaithfulData({
      tables: ["api_keys"],
      statistics,
      rows: { api_keys: apiKeys },
      seed: 1,
    }),
  )
  await onDatabase(
    copy,
    Db.use((db) => db.execute("AnalyzeCopy", "ANALYZE users, api_keys")),
  )
  const [real] = await onDatabase(source, shares)
  const [made] = await onDatabase(copy, shares)
  const keys = report.tables.find((t) => t.table === "api_keys")!
  console.log(
    `machine: ${machine()}; source: ${sourceKeys.toLocaleString("en-US")} seeded API keys (90% expired); copy: ${apiKeys.toLocaleString("en-US")}; triggers ${report.triggers}`,
  )
  console.log("| table | rows written | skipped | seconds | rows/s |")
  console.log("|---|---|---|---|---|")
  for (const t of report.tables)
    console.log(
      `| ${t.table} | ${t.written.toLocaleString("en-US")} | ${t.skipped} | ${t.seconds.toFixed(1)} | ${Math.round(t.written / t.seconds).toLocaleString("en-US")} |`,
    )
  console.log(
    `expired >7 days: source ${(real!.expired * 100).toFixed(2)}%, copy ${(made!.expired * 100).toFixed(2)}%; tokens: source ${(real!.token * 100).toFixed(2)}%, copy ${(made!.token * 100).toFixed(2)}%; api_keys ${Math.round(keys.written / keys.seconds).toLocaleString("en-US")} rows/s`,
  )
  // The seeder's COPY of api_keys (with Coder's trigger firing), at the same moment: a
  // yardstick for how busy the machine was.
  console.log(
    `seeding the source's api_keys (triggers fired): ${Math.round(seedRate).toLocaleString("en-US")} rows/s`,
  )
  console.log(
    `fallbacks: ${report.fallbacks.map((f) => `${f.table}.${f.column} (${f.reason})`).join("; ") || "none"}`,
  )
})
