import { spawnSync } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createTestDatabase, databaseUrl } from "@coderops/test-postgres"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, coderops, startCoderops } from "./cli.js"

// Progress goes to stderr: a periodic line off a terminal (every CODEROPS_PROGRESS_INTERVAL,
// 0 here: every update), a live line on one, nothing under --json.
const everyUpdate = { CODEROPS_PROGRESS_INTERVAL: "0" }

let url: string
const seedArgs = ["db", "seed", "--orgs", "2", "--users", "20", "--api-keys", "6000"]

beforeAll(async () => {
  url = databaseUrl(await createTestDatabase())
  expect((await coderops(["migrate", "up", "--database-url", url])).code).toBe(0)
}, 120_000)

const dirs: Array<string> = []
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

const freshSeeded = async () => {
  const fresh = databaseUrl(await createTestDatabase())
  expect((await coderops(["migrate", "up", "--database-url", fresh])).code).toBe(0)
  const seeded = await coderops([...seedArgs, "--expired-fraction", "1", "--json"], {
    DATABASE_URL: fresh,
  })
  expect(seeded.code).toBe(0)
  return fresh
}

describe("progress of long work", () => {
  it("db seed reports each table's rows so far of its total on stderr; stdout holds the result only", async () => {
    const seeded = await coderops([...seedArgs, "--database-url", url], everyUpdate)
    expect(seeded.code).toBe(0)
    expect(seeded.stderr).toMatch(
      /^seeding api_keys: [\d,]+ of 6,000 rows \(\d+%\), [\d,]+ rows\/s(, about [\d.smh]+ left)?$/m,
    )
    expect(seeded.stderr).toMatch(/^seeding users: 20 of 20 rows \(100%\)/m)
    expect(seeded.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(/^seeded 2 organizations/),
    ])
  })

  it("db purge api-keys reports the total, the rate and the time left on stderr", async () => {
    const fresh = await freshSeeded()
    const purged = await coderops(
      ["db", "purge", "api-keys", "--batch-size", "1000", "--database-url", fresh],
      everyUpdate,
    )
    expect(purged.code).toBe(0)
    const lines = purged.stderr.split("\n").filter((l) => l.startsWith("purging"))
    // The count before the first batch, then one line per batch.
    expect(lines[0]).toBe("purging expired API keys: 0 of 6,000 keys (0%); 0 batches")
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^purging expired API keys: 3,000 of 6,000 keys \(50%\), [\d,]+ keys\/s, about [\d.smh]+ left; 3 batches$/,
      ),
    )
    expect(lines.length).toBe(8)
    expect(purged.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(/^deleted 6,000 API keys/),
    ])
  })

  it("off a terminal, lines come at most every interval: none for work shorter than one", async () => {
    const fresh = await freshSeeded()
    const purged = await coderops(
      ["db", "purge", "api-keys", "--batch-size", "1000", "--database-url", fresh],
      { CODEROPS_PROGRESS_INTERVAL: "1h" },
    )
    expect(purged.code).toBe(0)
    expect(purged.stderr).toBe("")
  })

  it("--json: stdout is one JSON document, and no progress is written", async () => {
    const fresh = await freshSeeded()
    const purged = await coderops(
      ["db", "purge", "api-keys", "--batch-size", "1000", "--json", "--database-url", fresh],
      everyUpdate,
    )
    expect(purged.code).toBe(0)
    expect(JSON.parse(purged.stdout)).toMatchObject({ purged: 6000, dryRun: false })
    expect(purged.stderr).toBe("")
    const seeded = await coderops(
      [...seedArgs, "--json", "--database-url", databaseUrl(await createTestDatabase())],
      everyUpdate,
    )
    // An empty database: the error is JSON too, with nothing before it.
    expect(JSON.parse(seeded.stdout)).toHaveProperty("error")
    expect(seeded.stderr).toBe("")
  })

  it("migrate up names the session holding the lock a migration waits for, while it waits", async () => {
    const fresh = databaseUrl(await createTestDatabase())
    const dir = await mkdtemp(join(tmpdir(), "coderops-progress-"))
    dirs.push(dir)
    const files = {
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_alter.up.sql": "ALTER TABLE t ADD COLUMN x int;",
      "000002_alter.down.sql": "ALTER TABLE t DROP COLUMN x;",
    }
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
    const migrate = ["migrate", "up", "--dir", dir, "--database-url", fresh]
    expect((await coderops([...migrate, "1"])).code).toBe(0)
    const holder = new pg.Client({ connectionString: fresh, application_name: "progress-holder" })
    await holder.connect()
    try {
      const { rows } = await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")
      await holder.query("BEGIN")
      await holder.query("LOCK TABLE t IN ACCESS SHARE MODE")
      const run = startCoderops([...migrate, "--lock-timeout", "0"], everyUpdate)
      const blocked =
        /^\s+2 waits for a lock held by pid (\d+) \(progress-holder, user \w+, idle in transaction: LOCK TABLE t IN ACCESS SHARE MODE\)$/m
      // Both lines come while the lock is held, in either order (each on its own schedule).
      await run.waitFor(blocked)
      await run.waitFor(/^↑ 000002_alter\.up\.sql {2}running for [\d.]+s, waiting for pid \d+$/m)
      const stderr = run.stderr()
      // Named while the lock is still held: the migration has not finished.
      expect(stderr).not.toContain("000002_alter.up.sql  0.")
      expect(Number(blocked.exec(stderr)![1])).toBe(rows[0]!.pid)
      await holder.query("COMMIT")
      expect(await run.exited).toBe(0)
      expect(run.stderr()).toMatch(/^↑ 000002_alter\.up\.sql {2}[\d.]+ s$/m)
      expect(run.stdout().trim()).toMatch(/^migrated 1 → 2/)
    } finally {
      await holder.end()
    }
  })
})

/** `script` (util-linux) gives the CLI a pseudo-terminal. */
const hasScript = spawnSync("script", ["--version"]).status === 0
const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`

describe.skipIf(!hasScript)("progress on a terminal", () => {
  it("is one line rewritten in place, cleared before the result", async () => {
    const fresh = await freshSeeded()
    const command = [process.execPath, bin, "db", "purge", "api-keys", "--batch-size", "500"]
      .map(quote)
      .join(" ")
    const result = spawnSync("script", ["-qec", command, "/dev/null"], {
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: fresh, NODE_ENV: "production" },
      timeout: 60_000,
    })
    expect(result.status).toBe(0)
    const output = result.stdout
    expect(output).toMatch(/\rpurging expired API keys: [\d,]+ of 6,000 keys/)
    // Never a line of its own: each is overwritten, then blanked, before the result.
    expect(output).not.toMatch(/purging expired API keys[^\r\n]*\n/)
    expect(output).toMatch(/\r +\rdeleted 6,000 API keys/)
  })
})
