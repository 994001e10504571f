import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import { beforeAll, describe, expect, it } from "vitest"
import {
  type FaithfulDataReport,
  generateFaithfulData,
  readStatistics,
  seedDeployment,
  type TableStatistics,
  tablesWithParents,
} from "../src/index.js"

// A seeded "production" database, its statistics, and a copy generated from them alone.
const source = useTestDatabase()
const copy = useTestDatabase()
const again = useTestDatabase()
const blind = useTestDatabase()

const now = new Date("2026-06-01T00:00:00Z")
const week = "'2026-05-25 00:00:00+00'::timestamptz"

/** The shares the rehearsal of 000371 depends on, measured on a database. */
const shape = async (url: string) => {
  const [row] = await sql<{ rows: number; expired: number; token: number; unnamed: number }>(
    url,
    `SELECT count(*)::int AS rows,
            avg((expires_at < ${week})::int)::float8 AS expired,
            avg((login_type = 'token')::int)::float8 AS token,
            avg((token_name IS NULL OR token_name = '')::int)::float8 AS unnamed
       FROM api_keys`,
  )
  return row!
}

let statistics: ReadonlyArray<TableStatistics>
let report: FaithfulDataReport

beforeAll(async () => {
  for (const url of [source.url, copy.url, again.url, blind.url])
    await run(url, applyCoderSchemaForTests())
  // A column ANALYZE skips: the copy has no statistics for it and must say so.
  await sql(source.url, "ALTER TABLE api_keys ALTER COLUMN ip_address SET STATISTICS 0")
  await run(
    source.url,
    seedDeployment({
      orgs: 3,
      users: 2_000,
      templatesPerOrg: 0,
      versionsPerTemplate: 1,
      presetsPerVersion: 0,
      apiKeys: 20_000,
      expiredFraction: 0.8,
      seed: 11,
      now,
    }),
  )
  const tables = await run(copy.url, tablesWithParents(["api_keys"]))
  statistics = await run(source.url, readStatistics(tables))
  report = await run(copy.url, generateFaithfulData({ tables: ["api_keys"], statistics, seed: 3 }))
  await sql(copy.url, "ANALYZE users, api_keys")
}, 120_000)

describe("generateFaithfulData", () => {
  it("fills api_keys and the users its foreign key needs, parents first", () => {
    expect(report.tables.map((t) => t.table)).toEqual(["users", "api_keys"])
    const keys = report.tables[1]!
    expect(keys.rowsFrom).toBe("statistics")
    expect(keys.requested).toBe(20_000)
    // A few rows may be left out for the unique (user_id, token_name) of tokens; not more.
    expect(keys.written + keys.skipped).toBe(20_000)
    expect(keys.skipped).toBeLessThan(200)
  })

  it("reproduces the expired share, the login-type mix and the unnamed share of the source", async () => {
    const real = await shape(source.url)
    const made = await shape(copy.url)
    expect(real.expired).toBeCloseTo(0.8, 2)
    expect(Math.abs(made.expired - real.expired)).toBeLessThan(0.02)
    expect(real.token).toBeGreaterThan(0.05)
    expect(Math.abs(made.token - real.token)).toBeLessThan(0.02)
    expect(Math.abs(made.unnamed - real.unnamed)).toBeLessThan(0.02)
  })

  it("draws every key's user from the generated users, and keeps the unique token names", async () => {
    const [orphans] = await sql<{ n: number }>(
      copy.url,
      "SELECT count(*)::int AS n FROM api_keys k WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = k.user_id)",
    )
    expect(orphans!.n).toBe(0)
    // Keys spread over about as many users as in the source.
    const distinct = async (url: string) =>
      (await sql<{ n: number }>(url, "SELECT count(DISTINCT user_id)::int AS n FROM api_keys"))[0]!
        .n
    const real = await distinct(source.url)
    expect(Math.abs((await distinct(copy.url)) - real) / real).toBeLessThan(0.1)
    // Secrets are all distinct in the source: about as many in the copy, not a bound each.
    const [secrets] = await sql<{ share: number }>(
      copy.url,
      "SELECT (count(DISTINCT hashed_secret)::float8 / count(*))::float8 AS share FROM api_keys",
    )
    expect(secrets!.share).toBeGreaterThan(0.9)
  })

  it("reports the column without statistics as fallen back, and why", () => {
    expect(report.fallbacks).toContainEqual({
      table: "api_keys",
      column: "ip_address",
      source: "fallback",
      reason: "no statistics (pg_stats has no row for the column)",
    })
    const keyColumns = report.columns.filter((c) => c.table === "api_keys")
    expect(keyColumns.find((c) => c.column === "expires_at")?.source).toBe("statistics")
    expect(keyColumns.find((c) => c.column === "user_id")?.source).toBe("foreign key")
    expect(keyColumns.find((c) => c.column === "id")?.source).toBe("unique")
  })

  it("is deterministic: the same seed and statistics give the same rows; rows and scale set counts", async () => {
    const options = { tables: ["api_keys"], statistics, seed: 3, scale: 0.05, rows: { users: 300 } }
    const first = await run(again.url, generateFaithfulData(options))
    expect(first.tables.map((t) => [t.table, t.requested])).toEqual([
      ["users", 300],
      ["api_keys", 1_000],
    ])
    const digest = async () =>
      (
        await sql<{ d: string }>(
          again.url,
          "SELECT md5(string_agg(k::text, ',' ORDER BY k.id)) AS d FROM api_keys k",
        )
      )[0]!.d
    const before = await digest()
    await sql(again.url, "TRUNCATE api_keys, users CASCADE")
    await run(again.url, generateFaithfulData(options))
    expect(await digest()).toBe(before)
  })

  it("without statistics, fills by type what --rows asks for, and says so for every column", async () => {
    const blindReport = await run(
      blind.url,
      generateFaithfulData({ tables: ["api_keys"], statistics: [], rows: { api_keys: 500 } }),
    )
    expect(blindReport.tables.map((t) => [t.table, t.requested, t.rowsFrom, t.written])).toEqual([
      ["users", 1, "parent of rows", 1],
      ["api_keys", 500, "override", 500],
    ])
    const keyFallbacks = blindReport.fallbacks.filter((f) => f.table === "api_keys")
    expect(keyFallbacks.map((f) => f.column)).toContain("expires_at")
    expect(keyFallbacks.find((f) => f.column === "expires_at")?.reason).toBe(
      "no statistics for the table",
    )
  })
})
