import { sql, useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it, onTestFinished } from "vitest"
import { coderops, embeddedFolder } from "./cli.js"

const database = useTestDatabase()

interface Info {
  serverVersion: string
  database: string
  url: string
  largestTables: Array<{ name: string; rowEstimate: number; totalBytes: number }>
  migration?: { version: number; dirty: boolean }
  looksLikeCoder: boolean
}

describe("coderops db info", () => {
  it("reports an empty database", async () => {
    const result = await coderops(["db", "info", "--json", "--database-url", database.url])
    expect(result.code).toBe(0)
    const info = JSON.parse(result.stdout) as Info
    expect(info.database).toBe(database.name)
    expect(Number.parseInt(info.serverVersion, 10)).toBeGreaterThanOrEqual(13)
    expect(info.largestTables).toEqual([])
    // --json keeps the key: null says "no migration table", where an absent key says nothing.
    expect(info.migration).toBeNull()
    expect(info.looksLikeCoder).toBe(false)
    expect(info.url).toContain("xxxxx")
    expect(result.stdout).not.toContain(new URL(database.url).password)
  })

  it("reports the largest tables, the migration version and dirty flag, and Coder-ness", async () => {
    await sql(
      database.url,
      `
      CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);
      INSERT INTO schema_migrations VALUES (371, true);
      CREATE TABLE users (id int); CREATE TABLE organizations (id int); CREATE TABLE templates (id int);
      CREATE TABLE workspaces (id int);
      CREATE TABLE api_keys (id text PRIMARY KEY, payload text);
      INSERT INTO api_keys SELECT g::text, repeat('x', 200) FROM generate_series(1, 20000) g;
      ANALYZE api_keys;`,
    )
    const result = await coderops([
      "db",
      "info",
      "--json",
      "--tables",
      "3",
      "--database-url",
      database.url,
    ])
    expect(result.code).toBe(0)
    const info = JSON.parse(result.stdout) as Info
    expect(info.largestTables).toHaveLength(3)
    expect(info.largestTables[0]).toMatchObject({ name: "api_keys", rowEstimate: 20000 })
    expect(info.largestTables[0]!.totalBytes).toBeGreaterThan(4_000_000)
    expect(info.migration).toEqual({ version: 371, dirty: true })
    expect(info.looksLikeCoder).toBe(true)

    const human = await coderops(["db", "info", "--database-url", database.url])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain("371 DIRTY")
    expect(human.stdout).toMatch(/api_keys\s+20,000/)
  })

  it("doctor passes every check against a database it owns", async () => {
    const result = await coderops(["doctor", "--json", "--database-url", database.url])
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as {
      ok: boolean
      checks: Array<{ name: string; status: string }>
    }
    expect(report.ok).toBe(true)
    expect(report.checks.map((c) => c.name)).toContain("advisory locks")
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([])
  })

  it("doctor fails, with a hint, for a role without privileges", async () => {
    await sql(
      database.url,
      `
      DROP ROLE IF EXISTS doctor_weak;
      CREATE ROLE doctor_weak LOGIN PASSWORD 'weak-pass';
      REVOKE CREATE ON SCHEMA public FROM PUBLIC;`,
    )
    const url = new URL(database.url)
    url.username = "doctor_weak"
    url.password = "weak-pass"
    const result = await coderops(["doctor", "--database-url", url.toString()])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/✗ create in schema .*cannot create tables/)
    expect(result.stdout).toContain("hint: GRANT CREATE ON SCHEMA public TO doctor_weak")
    expect(result.stdout).toMatch(/✗ table ownership/)
    expect(result.stdout).not.toContain("weak-pass")
  })
})

describe("the embedded default", () => {
  it("two commands at once share one server started on demand", async () => {
    const folder = await embeddedFolder("coderops-cli-embedded-")
    onTestFinished(folder.remove)
    const { env } = folder
    const [a, b] = await Promise.all([
      coderops(["db", "info", "--json"], env),
      coderops(["db", "info", "--json"], env),
    ])
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, "", ""])
    const [infoA, infoB] = [JSON.parse(a.stdout) as Info, JSON.parse(b.stdout) as Info]
    expect(infoA.url).toBe(infoB.url)
    expect(infoA.database).toBe("coder")
    const status = await coderops(["db", "embedded", "status", "--json"], env)
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true })
  })
})
