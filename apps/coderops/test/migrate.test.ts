import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createTestDatabase, databaseUrl, sql } from "@coderops/test-postgres"
import { afterAll, describe, expect, it } from "vitest"
import { coderops, startCoderops } from "./cli.js"

const dirs: Array<string> = []
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

const migrationDir = async (files: Record<string, string>) => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-cli-migrations-"))
  dirs.push(dir)
  for (const [name, sql] of Object.entries(files)) {
    const { mkdir } = await import("node:fs/promises")
    await mkdir(join(dir, name, ".."), { recursive: true })
    await writeFile(join(dir, name), sql)
  }
  return dir
}

const slowChain = (count: number, sleepSeconds: number) =>
  Object.fromEntries(
    Array.from({ length: count }, (_, i) => {
      const n = String(i + 1).padStart(6, "0")
      return [
        [
          `${n}_step.up.sql`,
          `CREATE TABLE step_${i + 1} (id int);\nSELECT pg_sleep(${sleepSeconds});`,
        ],
        [`${n}_step.down.sql`, `DROP TABLE step_${i + 1};`],
      ]
    }).flat(),
  )

/** Starts `coderops migrate ...` as a background process. */
const start = (args: ReadonlyArray<string>, url: string) =>
  startCoderops(["migrate", ...args, "--database-url", url])

describe("coderops migrate", () => {
  it("two ups started together apply each migration exactly once and both exit 0", async () => {
    const url = databaseUrl(await createTestDatabase())
    const dir = await migrationDir(slowChain(4, 0.2))
    const [a, b] = [start(["up", "--dir", dir], url), start(["up", "--dir", dir], url)]
    expect([await a.exited, await b.exited]).toEqual([0, 0])
    const applied = await sql(
      url,
      "SELECT version::int, count(*)::int AS n FROM coderops_migration_history GROUP BY version ORDER BY version",
    )
    expect(applied).toEqual([1, 2, 3, 4].map((version) => ({ version, n: 1 })))
    expect(await sql(url, "SELECT version::int, dirty FROM schema_migrations")).toEqual([
      { version: 4, dirty: false },
    ])
    const waited = [a, b].filter((p) => p.stderr().includes("waiting for the migration lock"))
    expect(waited.length).toBeGreaterThanOrEqual(1)
  })

  it("after SIGKILL mid-migration the database is at the previous version, clean, and up proceeds", async () => {
    const url = databaseUrl(await createTestDatabase())
    const dir = await migrationDir(slowChain(2, 3))
    const first = start(["up", "--dir", dir], url)
    await first.waitFor(/000001_step\.up\.sql/)
    await new Promise((resolve) => setTimeout(resolve, 500))
    first.child.kill("SIGKILL")
    await first.exited
    const status = await coderops([
      "migrate",
      "status",
      "--json",
      "--dir",
      dir,
      "--database-url",
      url,
    ])
    expect(JSON.parse(status.stdout)).toMatchObject({ version: 1, dirty: false, pending: 1 })
    expect(await sql(url, "SELECT to_regclass('step_2')::text AS t")).toEqual([{ t: null }])
    // The killed session's backend may still hold the lock until its sleep ends: up waits, then proceeds.
    const again = await coderops(["migrate", "up", "--dir", dir, "--database-url", url])
    expect(again.code).toBe(0)
    expect(await sql(url, "SELECT version::int, dirty FROM schema_migrations")).toEqual([
      { version: 2, dirty: false },
    ])
  })

  it("a connection lost mid-run exits 4 and says which migrations reported applied a crash could lose", async () => {
    const url = databaseUrl(await createTestDatabase())
    const dir = await migrationDir({
      ...slowChain(2, 0),
      "000003_slow.up.sql": "SELECT pg_sleep(60);",
      "000003_slow.down.sql": "SELECT 1;",
    })
    const run = start(["up", "--dir", dir], url)
    // The backend running migration 3, from another session.
    let terminated = false
    for (let i = 0; i < 300 && !terminated; i++) {
      const rows = await sql(
        url,
        "SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
      )
      terminated = rows.length > 0
      if (!terminated) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(terminated).toBe(true)
    expect(await run.exited).toBe(4)
    expect(run.stderr()).toContain("Migrations 1, 2, reported applied before it")
    expect(run.stderr()).toContain("may be lost")
    expect(run.stderr()).toContain("coderops migrate status")
    expect(run.stderr()).not.toContain("nothing of this migration was applied")
  })

  it("after SIGKILL in a no-transaction migration the database is dirty, and up refuses until force", async () => {
    const url = databaseUrl(await createTestDatabase())
    const dir = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_slow.up.sql": "-- coder:no-transaction\nSELECT pg_sleep(3);",
      "000002_slow.down.sql": "SELECT 1;",
    })
    const first = start(["up", "--dir", dir], url)
    await first.waitFor(/000001_t\.up\.sql/)
    await new Promise((resolve) => setTimeout(resolve, 500))
    first.child.kill("SIGKILL")
    await first.exited
    const refused = await coderops(["migrate", "up", "--dir", dir, "--database-url", url])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("the database is dirty at version 2")
    expect(refused.stderr).toContain("coderops migrate force")
    const forced = await coderops(["migrate", "force", "2", "--dir", dir, "--database-url", url])
    expect(forced.code).toBe(0)
    const status = await coderops([
      "migrate",
      "status",
      "--json",
      "--dir",
      dir,
      "--database-url",
      url,
    ])
    expect(JSON.parse(status.stdout)).toMatchObject({ version: 2, dirty: false, pending: 0 })
  })

  it("SIGINT lets the running migration finish and starts no other", async () => {
    const url = databaseUrl(await createTestDatabase())
    const dir = await migrationDir(slowChain(5, 0.6))
    const run = start(["up", "--dir", dir], url)
    await run.waitFor(/000001_step\.up\.sql/)
    run.child.kill("SIGINT")
    expect(await run.exited).toBe(130)
    const [state] = (await sql(url, "SELECT version::int, dirty FROM schema_migrations")) as Array<{
      version: number
      dirty: boolean
    }>
    expect(state?.dirty).toBe(false)
    expect(state?.version).toBeGreaterThanOrEqual(2)
    expect(state?.version).toBeLessThan(5)
    expect(await sql(url, `SELECT to_regclass('step_${state!.version}')::text AS t`)).toEqual([
      { t: `step_${state!.version}` },
    ])
  })

  it("reports every problem of a bad directory at once, with file names", async () => {
    const dir = await migrationDir({
      "000001_a.up.sql": "SELECT 1;",
      "000002_b.up.sql": "SELECT 1;",
      "000002_b.down.sql": "SELECT 1;",
      "000002_c.up.sql": "SELECT 1;",
      "not_a_migration.sql": "SELECT 1;",
      "000001-000100/000003_d.up.sql": "SELECT 1;",
      "000001-000100/000003_d.down.sql": "SELECT 1;",
      "000003_d.up.sql": "SELECT 1;",
    })
    const result = await coderops([
      "migrate",
      "up",
      "--dir",
      dir,
      "--database-url",
      databaseUrl(await createTestDatabase()),
    ])
    expect(result.code).toBe(3)
    for (const name of [
      "000001_a.up.sql",
      "000002_c.up.sql",
      "not_a_migration.sql",
      "000003_d.up.sql",
    ]) {
      expect(result.stderr).toContain(name)
    }
  })

  it("verify passes on the bundled schema and fails, naming the table, when a fixture is missing", async () => {
    const url = databaseUrl(await createTestDatabase())
    const ok = await coderops(["migrate", "verify", "--json", "--database-url", url])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, migrations: 2, emptyTables: [] })
    // Verify works on a scratch database, never on the one given.
    expect(
      await sql(
        url,
        "SELECT to_regclass('users')::text AS t, to_regclass('schema_migrations')::text AS s",
      ),
    ).toEqual([{ t: null, s: null }])

    const dir = await migrationDir({
      "000001_a.up.sql": "CREATE TABLE covered (id int); CREATE TABLE forgotten (id int);",
      "000001_a.down.sql": "DROP TABLE covered; DROP TABLE forgotten;",
      "testdata/fixtures/000001_a.up.sql": "INSERT INTO covered VALUES (1);",
    })
    const failed = await coderops(["migrate", "verify", "--dir", dir, "--database-url", url])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain("no row after the fixtures in: forgotten")
    const exempt = await coderops([
      "migrate",
      "verify",
      "--dir",
      dir,
      "--exempt",
      "forgotten",
      "--database-url",
      url,
    ])
    expect(exempt.code).toBe(0)
    expect(exempt.stdout).toContain("verified 1 migration in")
    expect(exempt.stdout).toContain("1 table holds rows (1 exempt)")

    const leaky = await migrationDir({
      "000001_a.up.sql": "CREATE TABLE kept (id int); CREATE INDEX kept_idx ON kept (id);",
      "000001_a.down.sql": "DROP INDEX kept_idx;",
      "testdata/fixtures/000001_a.up.sql": "INSERT INTO kept VALUES (1);",
    })
    const leak = await coderops(["migrate", "verify", "--dir", leaky, "--database-url", url])
    expect(leak.code).toBe(1)
    expect(leak.stderr).toMatch(/left after down of everything: .*table public\.kept/)

    // A schema the down forgets is reported as such, not as a failure of the next up.
    const schema = await migrationDir({
      "000001_a.up.sql": "CREATE SCHEMA extra; CREATE TABLE extra.t (id int);",
      "000001_a.down.sql": "DROP TABLE extra.t;",
      "testdata/fixtures/000001_a.up.sql": "INSERT INTO extra.t VALUES (1);",
    })
    const left = await coderops(["migrate", "verify", "--dir", schema, "--database-url", url])
    expect(left.code).toBe(1)
    expect(left.stderr).toMatch(/left after down of everything: schema extra/)

    // The shared migrate flags are checked here too.
    const badFlag = await coderops([
      "migrate",
      "verify",
      "--dir",
      dir,
      "--lock-timeout",
      "3x",
      "--database-url",
      url,
    ])
    expect(badFlag.code).toBe(3)
    expect(badFlag.stderr).toContain("--lock-timeout")
    const scratch = await sql(
      url,
      "SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'coderops_verify_%'",
    )
    expect(scratch).toEqual([{ n: 0 }])
  })

  it("dry-run prints the plan and applies nothing; create adds the next pair of files", async () => {
    const url = databaseUrl(await createTestDatabase())
    const plan = await coderops(["migrate", "up", "--dry-run", "--database-url", url])
    expect(plan.code).toBe(0)
    expect(plan.stdout).toContain("↑ 000370_baseline.up.sql")
    expect(await sql(url, "SELECT to_regclass('users')::text AS t")).toEqual([{ t: null }])

    const dir = await migrationDir({
      "000007_a.up.sql": "SELECT 1;",
      "000007_a.down.sql": "SELECT 1;",
    })
    const created = await coderops([
      "migrate",
      "create",
      "add_index",
      "--dir",
      dir,
      "--no-transaction",
      "--json",
    ])
    expect(created.code).toBe(0)
    expect(JSON.parse(created.stdout)).toMatchObject({ version: 8 })
    const { readFile } = await import("node:fs/promises")
    expect(await readFile(join(dir, "000008_add_index.up.sql"), "utf8")).toMatch(
      /^-- coder:no-transaction\n/,
    )
  })

  it("reads CODER_PG_MIGRATION_LOCK_TIMEOUT as coderd does, and names it when it is wrong", async () => {
    const url = databaseUrl(await createTestDatabase())
    const bad = await coderops(["migrate", "up", "--database-url", url], {
      CODER_PG_MIGRATION_LOCK_TIMEOUT: "3 seconds",
    })
    expect(bad.code).toBe(3)
    expect(bad.stderr).toContain("CODER_PG_MIGRATION_LOCK_TIMEOUT")
    // Longer than PostgreSQL takes: refused before anything runs, not inside a migration.
    const tooLong = await coderops(["migrate", "up", "--database-url", url], {
      CODER_PG_MIGRATION_LOCK_TIMEOUT: "1000h",
    })
    expect(tooLong.code).toBe(3)
    expect(tooLong.stderr).toContain("PostgreSQL's limit")
    // Empty is unset, as in coderd: the default applies.
    const empty = await coderops(["migrate", "up", "--dry-run", "--database-url", url], {
      CODER_PG_MIGRATION_LOCK_TIMEOUT: "",
    })
    expect(empty.code).toBe(0)
    const ok = await coderops(["migrate", "up", "--database-url", url], {
      CODER_PG_MIGRATION_LOCK_TIMEOUT: "1m30s",
    })
    expect(ok.code).toBe(0)
    // --json keeps "no version" as null, and an error carries its fields for scripts.
    const fresh = databaseUrl(await createTestDatabase())
    const plan = JSON.parse(
      (await coderops(["migrate", "up", "--dry-run", "--json", "--database-url", fresh])).stdout,
    )
    expect(plan).toMatchObject({ from: null, wouldMigrateTo: 371, dryRun: true })
    const broken = await migrationDir({
      "000001_a.up.sql": "CREATE TABLE a (id int);\nSELECT nocolumn FROM a;\n",
      "000001_a.down.sql": "DROP TABLE a;",
    })
    const failed = await coderops([
      "migrate",
      "up",
      "--json",
      "--dir",
      broken,
      "--database-url",
      fresh,
    ])
    expect(failed.code).toBe(10)
    expect(JSON.parse(failed.stdout)).toMatchObject({
      error: {
        tag: "MigrationFailed",
        exitCode: 10,
        details: { version: 1, line: 2, column: 8, sqlState: "42703", dirty: false },
      },
    })
  })

  it("db seed loads a deterministic deployment onto the migrated schema", async () => {
    const url = databaseUrl(await createTestDatabase())
    expect((await coderops(["migrate", "up", "--database-url", url])).code).toBe(0)
    const args = [
      "db",
      "seed",
      "--orgs",
      "3",
      "--users",
      "12",
      "--api-keys",
      "400",
      "--expired-fraction",
      "0.25",
      "--seed",
      "7",
    ]
    const seeded = await coderops([...args, "--json", "--database-url", url])
    expect(seeded.code).toBe(0)
    expect(JSON.parse(seeded.stdout)).toMatchObject({
      organizations: 3,
      users: 12,
      apiKeys: 400,
      expiredApiKeys: 100,
    })
    expect(await sql(url, "SELECT count(*)::int AS n FROM api_keys")).toEqual([{ n: 400 }])
    const again = await coderops([...args, "--database-url", url])
    expect(again.code).not.toBe(0)
    expect(again.stderr).toMatch(/Hint: .*fresh database/)
  })
})
