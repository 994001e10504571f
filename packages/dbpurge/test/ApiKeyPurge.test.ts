import { Db } from "@coderops/db-core"
import { Metrics } from "@coderops/metrics"
import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import { run as runIn } from "@coderops/test-db"
import { useTestDatabase } from "@coderops/test-postgres"
import { parseExposition, sampleValue } from "@coderops/test-prometheus"
import * as Effect from "effect/Effect"
import pg from "pg"
import { beforeEach, describe, expect, it } from "vitest"
import { purgeExpiredApiKeys } from "../src/index.js"

const database = useTestDatabase()

const run = <A, E>(program: Effect.Effect<A, E, Db | Metrics>) => runIn(database.url, program)

const count = (where: string) =>
  run(
    Db.use((db) =>
      db.query<{ n: number }>("Count", `SELECT count(*)::int AS n FROM api_keys WHERE ${where}`),
    ),
  ).then((rows) => rows[0]!.n)

let seeded = false
beforeEach(async () => {
  if (!seeded) {
    await run(applyCoderSchemaForTests())
    seeded = true
  }
  await run(
    Db.use((db) =>
      db.script(
        "SeedKeys",
        `TRUNCATE api_keys CASCADE;
         INSERT INTO users (id, email, username, created_at, updated_at, hashed_password)
           VALUES ('11111111-1111-4111-8111-111111111111', 'a@example.com', 'a', now(), now(), '') ON CONFLICT DO NOTHING;
         INSERT INTO api_keys (id, hashed_secret, user_id, last_used, expires_at, created_at, updated_at, login_type, scopes, allow_list)
           SELECT 'k' || g, '\\x00', '11111111-1111-4111-8111-111111111111', now(),
                  CASE WHEN g % 10 < 6 THEN now() - interval '8 days'
                       WHEN g % 10 = 6 THEN now() - interval '3 days'
                       ELSE now() + interval '1 day' END,
                  now(), now(), 'password', '{all}', '{}'
             FROM generate_series(1, 25000) g;`,
      ),
    ),
  )
})

describe("purgeExpiredApiKeys", () => {
  it("deletes keys past retention in batches, keeps the rest, and counts them", async () => {
    const batches: Array<number> = []
    const { report, text } = await run(
      Effect.gen(function* () {
        const report = yield* purgeExpiredApiKeys({
          retention: "7 days",
          batchSize: 4000,
          onBatch: (progress) => batches.push(progress.deleted),
        })
        return { report, text: yield* Metrics.use((metrics) => Effect.promise(metrics.exposition)) }
      }),
    )
    expect(report).toMatchObject({ purged: 15000, batches: 4, dryRun: false, lockWaits: 0 })
    expect(batches).toEqual([4000, 4000, 4000, 3000])
    expect(await count("true")).toBe(10000)
    expect(await count("expires_at < now() - interval '7 days'")).toBe(0)
    expect(await count("expires_at < now()")).toBe(2500)
    const families = parseExposition(text)
    expect(
      sampleValue(families, "coderops_dbpurge_records_purged_total", { record_type: "api_keys" }),
    ).toBe(15000)
    expect(
      sampleValue(families, "coderops_db_queries_total", {
        query: "DeleteExpiredApiKeys",
        outcome: "ok",
      }),
    ).toBe(4)
  })

  it("reports progress against the count of expired keys, from before the first batch on", async () => {
    const progress: Array<{ total: number; purged: number; batches: number; seconds: number }> = []
    const report = await run(
      purgeExpiredApiKeys({
        retention: "7 days",
        batchSize: 4000,
        onProgress: (p) => progress.push(p),
      }),
    )
    expect(report.purged).toBe(15000)
    expect(progress.map(({ total, purged, batches }) => [total, purged, batches])).toEqual([
      [15000, 0, 0],
      [15000, 4000, 1],
      [15000, 8000, 2],
      [15000, 12000, 3],
      [15000, 15000, 4],
    ])
    expect(progress.at(-1)!.seconds).toBeGreaterThan(0)
  })

  it("--dry-run counts and deletes nothing", async () => {
    const report = await run(purgeExpiredApiKeys({ retention: "7 days", dryRun: true }))
    expect(report).toMatchObject({ purged: 15000, dryRun: true })
    expect(await count("true")).toBe(25000)
  })

  it("refuses a negative retention, which would delete keys that have not expired", async () => {
    const error = await run(Effect.flip(purgeExpiredApiKeys({ retention: -3600_000 })))
    expect(error).toMatchObject({ _tag: "InvalidRetention", retentionSeconds: -3600 })
    expect(await count("true")).toBe(25000)
  })

  it("waits while coderd's purge holds the purge lock", async () => {
    const holder = new pg.Client({ connectionString: database.url })
    await holder.connect()
    await holder.query("BEGIN")
    await holder.query("SELECT pg_advisory_xact_lock(4)")
    setTimeout(() => void holder.query("COMMIT").then(() => holder.end()), 1500)
    const report = await run(purgeExpiredApiKeys({ retention: "7 days" }))
    expect(report.lockWaits).toBeGreaterThanOrEqual(1)
    expect(report.purged).toBe(15000)
  })
})
