import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { migrationsDir, slow371Path } from "@coderops/coder-schema"
import { loadMigrations, makeMigrator } from "@coderops/migrations"
import { seedDeployment } from "@coderops/synthetic"
import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { beforeAll, describe, expect, it } from "vitest"
import { lint, onBaseline } from "./harness.js"

const database = useTestDatabase()
const keys = 20_000
let dir: string

beforeAll(async () => {
  dir = await onBaseline({
    "000371_api_key_scopes_array_allow_list": await readFile(slow371Path, "utf8"),
  })
  // The real database: at 000370 with a seeded deployment, 000371 pending.
  await run(
    database.url,
    Effect.gen(function* () {
      const migrator = yield* makeMigrator(yield* loadMigrations(dir))
      yield* migrator.goto(370)
      yield* seedDeployment({
        orgs: 1,
        users: 10,
        templatesPerOrg: 1,
        versionsPerTemplate: 1,
        presetsPerVersion: 1,
        apiKeys: keys,
        expiredFraction: 0.75,
        seed: 1,
        now: new Date(),
      })
    }),
  )
}, 120_000)

describe("with the real database", () => {
  it("lints the pending migration only, and every finding on api_keys states its rows and lock time", async () => {
    const report = await lint(database.url, dir, { database: true, scope: { kind: "pending" } })
    expect(report.databaseVersion).toBe(370)
    expect(report.migrations.map((m) => m.version)).toEqual([371])
    const twice = report.findings.find((f) => f.rule === "table-rewritten-twice")!
    expect(twice.size?.rows).toBe(keys)
    expect(twice.message).toContain(`api_keys (${keys.toLocaleString("en-US")} rows`)
    expect(twice.message).toMatch(/lock ≈ \d+ ms/)
    expect(twice.size?.lockSeconds).toBeGreaterThan(0)
    expect(twice.passes).toBe(2)
    const purge = report.findings.find((f) => f.rule === "purge-before-rewrite")!
    const [{ expired }] = (await sql<{ expired: number }>(
      database.url,
      "SELECT count(*)::int AS expired FROM api_keys WHERE expires_at < now() - interval '7 days'",
    )) as [{ expired: number }]
    expect(expired).toBeGreaterThan(keys / 2)
    expect(purge.purgeableRows).toBe(expired)
    expect(purge.message).toContain(`would remove ${expired.toLocaleString("en-US")} rows`)
    // The real database was only read: still at 370, the old column in place.
    const [state] = await sql(database.url, "SELECT version FROM schema_migrations")
    expect(Number(state!.version)).toBe(370)
    const scope = await sql(
      database.url,
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'api_keys' AND column_name = 'scope'",
    )
    expect(scope).toHaveLength(1)
  })

  it("scales severity with size: thresholds decide note, warning, error", async () => {
    const severityOf = async (warningSeconds: number, errorSeconds: number) => {
      const report = await lint(database.url, dir, {
        database: true,
        thresholds: { warningSeconds, errorSeconds },
      })
      return report.findings.find((f) => f.rule === "table-rewritten-twice")!.severity
    }
    expect(await severityOf(1000, 2000)).toBe("note")
    expect(await severityOf(0, 1000)).toBe("warning")
    expect(await severityOf(0, 0)).toBe("error")
  })

  it("a DELETE whose WHERE the planner expects to match most rows is unbatched; the purge count goes with it", async () => {
    const fast = await onBaseline({
      "000371_api_key_scopes_array_allow_list": await readFile(
        join(migrationsDir, "000371_api_key_scopes_array_allow_list.up.sql"),
        "utf8",
      ),
    })
    const report = await lint(database.url, fast, { database: true })
    const rules = report.findings.map((f) => f.rule)
    expect(rules).not.toContain("table-rewritten-twice")
    expect(rules).not.toContain("purge-before-rewrite")
    const purge = report.findings.find(
      (f) => f.rule === "unbatched-dml" && f.message.startsWith("DELETE"),
    )!
    expect(purge.message).toMatch(
      /^DELETE of most rows of api_keys \(20,000 rows.*: about \d+% of them by the planner's estimate/,
    )
    expect(purge.purgeableRows).toBeGreaterThan(keys / 2)

    const few = await onBaseline({
      "000371_few": "DELETE FROM api_keys WHERE id = 'none';",
    })
    const fewReport = await lint(database.url, few, { database: true })
    expect(fewReport.findings.map((f) => f.rule)).not.toContain("unbatched-dml")
  })

  it("leaves no scratch database behind", async () => {
    const left = await sql(
      database.url,
      "SELECT datname FROM pg_database WHERE datname LIKE 'coderops_verify_%'",
    )
    expect(left).toEqual([])
  })
})
