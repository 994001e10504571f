import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createTestDatabase, databaseUrl, sql } from "@coderops/test-postgres"
import pg from "pg"
import { afterAll, describe, expect, it, onTestFinished } from "vitest"
import { bin, coderops } from "./cli.js"

const migrationLockKey = "1037453835920848937"

/** The backend pid of a connected client (pg knows it; its types do not say so). */
const pid = (client: pg.Client): number => (client as unknown as { processID: number }).processID
const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const second = `-- Notes per thing.
ALTER TABLE things ADD COLUMN note text;
UPDATE things SET note = 'none';
`

const directory = () => {
  const dir = mkdtempSync(join(tmpdir(), "coderops-watch-cli-"))
  dirs.push(dir)
  const files: Record<string, string> = {
    "000001_things.up.sql": "CREATE TABLE things (id int);",
    "000001_things.down.sql": "DROP TABLE things;",
    "000002_notes.up.sql": second,
    "000002_notes.down.sql": "ALTER TABLE things DROP COLUMN note;",
    "000003_more.up.sql": "CREATE TABLE more (id int);",
    "000003_more.down.sql": "DROP TABLE more;",
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

/** A database at version 1 of `directory()`, with rows in things. */
const databaseAtVersion1 = async () => {
  const url = databaseUrl(await createTestDatabase())
  await sql(
    url,
    `CREATE TABLE things (id int); INSERT INTO things VALUES (1), (2);
     CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);
     INSERT INTO schema_migrations VALUES (1, false);`,
  )
  return url
}

const session = async (url: string, applicationName: string) => {
  const client = new pg.Client({ connectionString: url, application_name: applicationName })
  await client.connect()
  client.on("error", () => {})
  onTestFinished(() => client.end().catch(() => {}))
  return client
}

const waitUntil = async (url: string, condition: string) => {
  for (let attempt = 0; attempt < 300; attempt++) {
    if ((await sql(url, `SELECT 1 WHERE ${condition}`)).length > 0) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`never: ${condition}`)
}

/** A coderops process in the background, its output collected. */
const background = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, NODE_ENV: "production" },
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => {
    stdout += chunk
  })
  child.stderr.on("data", (chunk) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  onTestFinished(() => {
    child.kill("SIGKILL")
  })
  const waitFor = async (pattern: RegExp, stream: () => string) => {
    for (let attempt = 0; attempt < 600; attempt++) {
      const match = pattern.exec(stream())
      if (match) return match
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`never saw ${pattern}: ${stderr}`)
  }
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor,
  }
}

describe("coderops migrate watch", () => {
  it("names older coderd's migrating session, its file and statement, the blocker and the queries queued behind (--once --json)", async () => {
    const url = await databaseAtVersion1()
    const dir = directory()
    const report = await session(url, "report")
    await report.query("BEGIN; SELECT count(*) FROM things")
    // coderd before #29589: all pending migrations in one transaction, one file per query.
    const coderd = await session(url, "coderd")
    await coderd.query(`BEGIN; SELECT pg_advisory_xact_lock(${migrationLockKey})`)
    coderd.query(second).catch(() => {})
    await waitUntil(
      url,
      `(SELECT wait_event_type FROM pg_stat_activity WHERE pid = ${pid(coderd)}) = 'Lock'`,
    )
    const user = await session(url, "coderd-api")
    user.query("SELECT * FROM things").catch(() => {})
    await waitUntil(
      url,
      `(SELECT wait_event_type FROM pg_stat_activity WHERE pid = ${pid(user)}) = 'Lock'`,
    )

    const result = await coderops([
      "migrate",
      "watch",
      "--once",
      "--json",
      "--dir",
      dir,
      "--database-url",
      url,
    ])
    expect(result.code, result.stderr).toBe(13)
    const snapshot = JSON.parse(result.stdout)
    expect(snapshot).toMatchObject({
      state: { version: 1, dirty: false },
      pending: 2,
      migrating: { pid: pid(coderd), applicationName: "coderd", waitEventType: "Lock" },
      running: {
        version: 2,
        file: "000002_notes.up.sql",
        pendingIndex: 1,
        pendingCount: 2,
        statement: { index: 1, count: 2, line: 2, basis: "waits-for-its-lock" },
      },
      blockers: [
        {
          pid: pid(report),
          applicationName: "report",
          state: "idle in transaction",
          query: "BEGIN; SELECT count(*) FROM things",
        },
      ],
      blocked: [{ pid: pid(user), applicationName: "coderd-api" }],
      blockedByTable: [{ relation: "things", sessions: 1 }],
      actions: [],
    })

    // With a rehearsal's estimates: the expected time of this migration and of the rest.
    const planFile = join(dir, "rehearsal.json")
    writeFileSync(
      planFile,
      JSON.stringify({
        variants: [
          {
            name: "as-is",
            estimates: [
              { version: 2, seconds: { predicted: 12.5 }, measuredFullSeconds: null },
              { version: 3, seconds: { predicted: 3 }, measuredFullSeconds: null },
            ],
          },
        ],
      }),
    )
    const planned = await coderops([
      "migrate",
      "watch",
      "--once",
      "--json",
      "--dir",
      dir,
      "--plan",
      planFile,
      "--database-url",
      url,
    ])
    expect(JSON.parse(planned.stdout).expected).toEqual({
      runningSeconds: 12.5,
      remainingSeconds: 3,
      unknown: 0,
    })
    const badPlan = await coderops([
      "migrate",
      "watch",
      "--once",
      "--plan",
      dir,
      "--database-url",
      url,
    ])
    expect(badPlan.code).toBe(3)
    expect(badPlan.stderr).toContain(`cannot read ${dir}: EISDIR`)
    // A file that is not JSON: named, its contents never printed.
    const notJsonFile = join(dir, "000002_notes.up.sql")
    const notJson = await coderops([
      "migrate",
      "watch",
      "--once",
      "--plan",
      notJsonFile,
      "--database-url",
      url,
    ])
    expect(notJson.code).toBe(3)
    expect(notJson.stderr).toContain(`${notJsonFile} is not JSON`)
    expect(notJson.stderr).not.toContain("Notes per thing")

    // The text view says the same for a person.
    const text = await coderops([
      "migrate",
      "watch",
      "--once",
      "--dir",
      dir,
      "--plan",
      planFile,
      "--database-url",
      url,
    ])
    expect(text.code).toBe(13)
    expect(text.stdout).toContain("000002_notes.up.sql (1 of 2 pending)")
    expect(text.stdout).toContain("statement 1 of 2, line 2 (waits for its lock)")
    expect(text.stdout).toContain(
      "expected 12.5 s for this migration (rehearsal), 3.0 s for the 1 migration after it",
    )
    expect(text.stdout).toMatch(/blocked by pid \d+ report .*idle in transaction/)
    expect(text.stdout).toContain("queued behind the migration: 1 session on things")
  })

  it("cancels what blocks coderops' own migration, not the migration, which completes; the gauges show it", async () => {
    const url = await databaseAtVersion1()
    const dir = directory()
    const report = await session(url, "slow-report")
    const blocked = report.query("SELECT pg_sleep(60) FROM things")
    blocked.catch(() => {})
    await waitUntil(
      url,
      `EXISTS (SELECT 1 FROM pg_locks WHERE pid = ${pid(report)} AND relation = 'things'::regclass)`,
    )
    // Newer coderd and coderops: one transaction per migration; no lock_timeout, so it waits.
    const up = background([
      "migrate",
      "up",
      "--dir",
      dir,
      "--lock-timeout",
      "0",
      "--database-url",
      url,
    ])
    await waitUntil(
      url,
      "EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name LIKE 'coderops%')",
    )

    const watch = background([
      "migrate",
      "watch",
      "--json",
      "--interval",
      "200ms",
      "--dir",
      dir,
      "--cancel-blockers-after",
      "3s",
      "--yes",
      "--metrics-addr",
      "127.0.0.1:0",
      "--database-url",
      url,
    ])
    const [, metricsUrl] = await watch.waitFor(/"url":"([^"]+)"/, watch.stdout)
    const scrape = await (await fetch(metricsUrl!)).text()
    expect(scrape).toMatch(/^coderops_migration_in_progress 1$/m)
    expect(scrape).toMatch(/^coderops_migration_blocking_sessions 1$/m)

    await watch.waitFor(/"outcome":"signalled"/, watch.stdout)
    await expect(blocked).rejects.toMatchObject({ code: "57014" })
    expect(await up.exited).toBe(0)
    const lines = watch
      .stdout()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
    expect(lines[0]).toMatchObject({
      event: "started",
      url: metricsUrl,
      listen: metricsUrl!.replace(/^http:\/\/(.*)\/metrics$/, "$1"),
      intervalSeconds: 0.2,
    })
    const readings = lines.filter((line) => line.event === "reading")
    const acted = readings.flatMap((line) => line.actions)
    expect(acted).toEqual([
      expect.objectContaining({
        action: "cancel",
        outcome: "signalled",
        session: expect.objectContaining({ pid: pid(report), applicationName: "slow-report" }),
      }),
    ])
    expect(acted[0].migratingPid).not.toBe(pid(report))
    expect(readings.some((line) => line.running?.version === 2)).toBe(true)
    watch.child.kill("SIGTERM")
    expect(await watch.exited).toBe(0)
    expect(JSON.parse(watch.stdout().trim().split("\n").at(-1)!)).toMatchObject({
      event: "stopped",
      signal: "SIGTERM",
    })
    expect(
      (await sql<{ version: string }>(url, "SELECT version FROM schema_migrations"))[0]?.version,
    ).toBe("3")
  })

  it("refuses to cancel without --yes, and exits 12 on a dirty database", async () => {
    const url = await databaseAtVersion1()
    const refused = await coderops([
      "migrate",
      "watch",
      "--cancel-blockers-after",
      "3s",
      "--database-url",
      url,
    ])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("--yes")
    await sql(url, "UPDATE schema_migrations SET dirty = true")
    const dirty = await coderops(["migrate", "watch", "--once", "--database-url", url])
    expect(dirty.code).toBe(12)
    expect(dirty.stdout).toContain("DIRTY")
    // A dirty version is not applied: watch counts it pending, as status does.
    const dir = directory()
    const watched = await coderops([
      "migrate",
      "watch",
      "--once",
      "--dir",
      dir,
      "--database-url",
      url,
    ])
    const status = await coderops(["migrate", "status", "--dir", dir, "--database-url", url])
    expect(watched.stdout).toMatch(/version\s+1\s+DIRTY: .*, 3 pending migrations/)
    expect(status.stdout).toMatch(/Pending\s+3/)
  })
})
