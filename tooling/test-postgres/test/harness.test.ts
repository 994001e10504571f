import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { describe, expect, it } from "vitest"
import {
  createTestDatabase,
  databaseUrl,
  dropTestDatabase,
  testServer,
  useTestDatabase,
} from "../src/index.js"

const database = useTestDatabase()

const query = async (url: string, text: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text)).rows
  } finally {
    await client.end()
  }
}

describe("test PostgreSQL harness", () => {
  it("runs the suite on the Node the workspace pins (node@24), not the system's", () => {
    expect(process.versions.node.split(".")[0]).toBe("24")
  })

  it("serves a real PostgreSQL of the requested major", async () => {
    const [row] = await query(database.url, "SHOW server_version_num")
    const major = Math.floor(Number(row.server_version_num) / 10000)
    expect(major).toBeGreaterThanOrEqual(13)
    if (process.env.TEST_PG_VERSION && !process.env.TEST_DATABASE_URL) {
      expect(String(major)).toBe(process.env.TEST_PG_VERSION)
    }
    expect(testServer().version).toMatch(/^\d+|external/)
  })

  it("gives each database its own state, cloned from an empty template", async () => {
    await query(database.url, "CREATE TABLE only_here (id int)")
    const other = await createTestDatabase()
    try {
      const rows = await query(databaseUrl(other), "SELECT to_regclass('only_here')::text AS t")
      expect(rows).toEqual([{ t: null }])
    } finally {
      await dropTestDatabase(other)
    }
  })

  it("a failing test fails the run (exit code is not swallowed by teardown)", async () => {
    const vitest = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url))
    const config = fileURLToPath(new URL("./fixtures/vitest.config.ts", import.meta.url))
    const code = await new Promise<number>((resolve) => {
      execFile(
        process.execPath,
        [vitest, "run", "--config", config],
        { timeout: 120_000 },
        (error) => resolve(error === null ? 0 : typeof error.code === "number" ? error.code : -1),
      )
    })
    expect(code).toBe(1)
  })
})
