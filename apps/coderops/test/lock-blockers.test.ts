import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { coderops } from "./cli.js"

const database = useTestDatabase()

describe("migrate up blocked by another session's lock", () => {
  const dir = mkdtemp(join(tmpdir(), "coderops-blocked-"))
  afterAll(async () => rm(await dir, { recursive: true, force: true }))

  it("names the file, the statement's line and the blocking session after its retries", async () => {
    const migrations = await dir
    await writeFile(
      join(migrations, "000001_note_on_thing.up.sql"),
      "-- a note on every thing\nSELECT 1;\nALTER TABLE thing ADD COLUMN note text;\n",
    )
    await writeFile(
      join(migrations, "000001_note_on_thing.down.sql"),
      "ALTER TABLE thing DROP COLUMN note;\n",
    )
    await sql(database.url, "CREATE TABLE thing (id int)")
    // A session that read the table in a transaction it left open: it holds ACCESS SHARE,
    // which the ALTER's ACCESS EXCLUSIVE waits for.
    const blocker = new pg.Client({
      connectionString: database.url,
      application_name: "coderops-test-blocker",
    })
    await blocker.connect()
    try {
      const [{ pid }] = (await blocker.query("SELECT pg_backend_pid() AS pid")).rows as [
        { pid: number },
      ]
      await blocker.query("BEGIN")
      await blocker.query("SELECT count(*) FROM thing")
      const args = ["migrate", "up", "--dir", migrations, "--lock-timeout", "300ms"]
      const result = await coderops([...args, "--database-url", database.url])
      expect(result.code).toBe(9)
      const lines = result.stderr.trim().split("\n")
      const problem = lines.find((line) => line.startsWith("Error: "))
      const hint = lines.find((line) => line.startsWith("Hint: "))
      expect(problem).toContain("000001_note_on_thing.up.sql:3:1")
      expect(problem).toContain("after 5 attempts")
      expect(problem).toContain(
        `blocked by pid ${pid} (coderops-test-blocker, user postgres, idle in transaction: SELECT count(*) FROM thing)`,
      )
      expect(hint).toContain(`SELECT pg_terminate_backend(${pid})`)

      const json = await coderops([...args, "--json", "--database-url", database.url])
      expect(json.code).toBe(9)
      const { error } = JSON.parse(json.stdout)
      expect(error.details).toMatchObject({
        line: 3,
        attempts: 5,
        reason: "lock-conflict",
        blockedBy: [
          {
            pid,
            applicationName: "coderops-test-blocker",
            state: "idle in transaction",
            query: "SELECT count(*) FROM thing",
          },
        ],
      })
    } finally {
      await blocker.end()
    }
  })
})
