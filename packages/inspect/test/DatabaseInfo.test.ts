import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { inspectDatabase } from "../src/index.js"

const database = useTestDatabase()

describe("inspectDatabase", () => {
  it("reports an empty database: no migration state, not Coder", async () => {
    const info = await run(database.url, inspectDatabase())
    expect(info).toMatchObject({
      database: database.name,
      source: "explicit",
      largestTables: [],
      migration: undefined,
      looksLikeCoder: false,
      coderV1: false,
      coderTables: [],
    })
    expect(info.url).not.toContain(new URL(database.url).password)
  })

  it("reads golang-migrate's state, the Coder tables and the largest tables", async () => {
    await sql(
      database.url,
      `CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);
       INSERT INTO schema_migrations VALUES (371, true);
       CREATE TABLE users (id int); CREATE TABLE organizations (id int); CREATE TABLE templates (id int);
       CREATE TABLE workspaces (id int);
       CREATE TABLE api_keys (id text PRIMARY KEY, payload text);
       INSERT INTO api_keys SELECT g::text, repeat('x', 200) FROM generate_series(1, 2000) g;
       ANALYZE api_keys;`,
    )
    const info = await run(database.url, inspectDatabase({ tableLimit: 2 }))
    expect(info.migration).toEqual({ version: 371, dirty: true })
    expect(info.looksLikeCoder).toBe(true)
    expect(info.coderV1).toBe(false)
    expect(info.coderTables).toEqual([
      "api_keys",
      "organizations",
      "schema_migrations",
      "templates",
      "users",
      "workspaces",
    ])
    expect(info.largestTables).toHaveLength(2)
    expect(info.largestTables[0]).toMatchObject({ name: "api_keys", rowEstimate: 2000 })
  })

  it("recognises a Coder v1 database by its migration_cursor table", async () => {
    await sql(database.url, "CREATE TABLE migration_cursor (x int)")
    const info = await run(database.url, inspectDatabase())
    expect(info.coderV1).toBe(true)
  })
})
