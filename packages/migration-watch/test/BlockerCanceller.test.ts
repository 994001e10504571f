import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { makeBlockerCanceller, readMigrationActivity } from "../src/index.js"
import { migrationLockKey, pid, send, session, waitsOnLock } from "./support.js"

const database = useTestDatabase()

/** coderd migrating `things` under the migration lock, waiting for `blocker`'s lock. */
const blockedMigration = async (blockerSetup: string) => {
  await sql(
    database.url,
    "DROP TABLE IF EXISTS things; CREATE TABLE things (id int); INSERT INTO things VALUES (1);",
  )
  const blocker = await session(database.url, "nightly-report")
  const blockerDone = send(blocker, blockerSetup)
  // Wait until the blocker holds its lock on things.
  for (let attempt = 0; attempt < 100; attempt++) {
    const rows = await sql(
      database.url,
      `SELECT 1 FROM pg_locks WHERE pid = ${pid(blocker)} AND relation = 'things'::regclass`,
    )
    if (rows.length > 0) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const coderd = await session(database.url, "coderd")
  await coderd.query(`BEGIN; SELECT pg_advisory_xact_lock(${migrationLockKey})`)
  const migration = coderd.query("ALTER TABLE things ADD COLUMN note text")
  await waitsOnLock(database.url, pid(coderd))
  return { blocker, blockerDone, coderd, migration }
}

describe("makeBlockerCanceller", () => {
  it("cancels the blocking query once it has blocked long enough, never the migration, which then completes", async () => {
    const { blocker, blockerDone, coderd, migration } = await blockedMigration(
      "SELECT pg_sleep(60) FROM things",
    )
    const review = makeBlockerCanceller({ after: "10 seconds", terminate: false })
    const read = () => run(database.url, readMigrationActivity())
    const start = Date.now()
    expect(await run(database.url, review(await read(), start))).toEqual([])
    expect(await run(database.url, review(await read(), start + 9_000))).toEqual([])
    const actions = await run(database.url, review(await read(), start + 10_000))
    expect(actions).toEqual([
      expect.objectContaining({
        action: "cancel",
        outcome: "signalled",
        blockedSeconds: 10,
        migratingPid: pid(coderd),
        session: expect.objectContaining({
          pid: pid(blocker),
          applicationName: "nightly-report",
          query: "SELECT pg_sleep(60) FROM things",
        }),
      }),
    ])
    await expect(blockerDone).rejects.toMatchObject({ code: "57014" })
    await migration
    await coderd.query("COMMIT")
    const columns = await sql(
      database.url,
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'things' AND column_name = 'note'",
    )
    expect(columns).toHaveLength(1)
    // Acted on once: the next reading finds no blocker and does nothing.
    expect(await run(database.url, review(await read(), start + 20_000))).toEqual([])
  })

  it("does not pretend a cancel ends an idle transaction; a terminate policy ends it", async () => {
    const { blocker, coderd, migration } = await blockedMigration("BEGIN; SELECT * FROM things")
    await blockerReady(pid(blocker))
    const read = () => run(database.url, readMigrationActivity())
    const cancel = makeBlockerCanceller({ after: 0, terminate: false })
    const [skipped] = await run(database.url, cancel(await read()))
    expect(skipped).toMatchObject({ action: "cancel", outcome: "idle-in-transaction" })
    // Still blocked: the cancel was not sent.
    expect((await read()).blockers.map((s) => s.pid)).toEqual([pid(blocker)])

    const terminate = makeBlockerCanceller({ after: 0, terminate: true })
    const [ended] = await run(database.url, terminate(await read()))
    expect(ended).toMatchObject({ action: "terminate", outcome: "signalled" })
    await migration
    await coderd.query("COMMIT")
    const stillThere = await sql(
      database.url,
      `SELECT 1 FROM pg_stat_activity WHERE pid = ${pid(blocker)}`,
    )
    expect(stillThere).toHaveLength(0)
  })
})

const blockerReady = async (pid: number) => {
  for (let attempt = 0; attempt < 100; attempt++) {
    const rows = await sql<{ state: string }>(
      database.url,
      `SELECT state FROM pg_stat_activity WHERE pid = ${pid}`,
    )
    if (rows[0]?.state === "idle in transaction") return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error("the blocker never went idle in its transaction")
}
