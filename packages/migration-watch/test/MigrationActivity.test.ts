import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { readMigrationActivity } from "../src/index.js"
import { migrationLockKey, pid, send, session, waitsOnLock } from "./support.js"

const database = useTestDatabase()

describe("readMigrationActivity", () => {
  it("sees nothing on a quiet database without a state table", async () => {
    const activity = await run(database.url, readMigrationActivity())
    expect(activity).toMatchObject({
      state: undefined,
      migrating: undefined,
      waitingForLock: [],
      blockers: [],
      blocked: [],
      blockedByTable: [],
    })
    expect(Date.parse(activity.observedAt)).not.toBeNaN()
  })

  it("names the migrating session, the session it waits for, the replica waiting for the lock and the queries queued behind", async () => {
    await sql(
      database.url,
      `CREATE TABLE things (id int PRIMARY KEY);
       INSERT INTO things SELECT generate_series(1, 10);
       CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);
       INSERT INTO schema_migrations VALUES (5, false);`,
    )
    // An idle transaction that read the table: it holds ACCESS SHARE until it ends.
    const idle = await session(database.url, "report-job")
    await idle.query("BEGIN; SELECT count(*) FROM things")
    // coderd before #29589: every pending migration in one transaction under the lock.
    const coderd = await session(database.url, "coderd")
    await coderd.query(`BEGIN; SELECT pg_advisory_xact_lock(${migrationLockKey})`)
    send(coderd, "ALTER TABLE things ADD COLUMN note text NOT NULL DEFAULT ''")
    const coderdPid = pid(coderd)
    await waitsOnLock(database.url, coderdPid)
    // A second replica starting, and a user's query queued behind the ALTER.
    const replica = await session(database.url, "coderd-replica")
    send(replica, `SELECT pg_advisory_lock(${migrationLockKey})`)
    await waitsOnLock(database.url, pid(replica))
    const user = await session(database.url, "coderd-api")
    send(user, "SELECT * FROM things WHERE id = 1")
    await waitsOnLock(database.url, pid(user))

    const activity = await run(database.url, readMigrationActivity())
    expect(activity.state).toEqual({ version: 5, dirty: false })
    expect(activity.migrating).toMatchObject({
      pid: coderdPid,
      applicationName: "coderd",
      state: "active",
      waitEventType: "Lock",
      query: "ALTER TABLE things ADD COLUMN note text NOT NULL DEFAULT ''",
      waitingFor: [{ lockType: "relation", mode: "AccessExclusiveLock", relation: "things" }],
    })
    expect(activity.migrating?.transactionSeconds).toBeGreaterThanOrEqual(0)
    expect(activity.blockers).toEqual([
      expect.objectContaining({
        pid: pid(idle),
        applicationName: "report-job",
        state: "idle in transaction",
        query: "BEGIN; SELECT count(*) FROM things",
        heldLocks: [{ relation: "things", mode: "AccessShareLock" }],
      }),
    ])
    expect(activity.waitingForLock.map((s) => s.applicationName)).toEqual(["coderd-replica"])
    expect(activity.blocked.map((s) => s.applicationName)).toEqual(["coderd-api"])
    expect(activity.blockedByTable).toEqual([{ relation: "things", sessions: 1 }])

    // The blocker ends: the migration runs on, holding the table; the user's query still waits.
    await idle.query("COMMIT")
    for (let attempt = 0; attempt < 100; attempt++) {
      const now = await run(database.url, readMigrationActivity())
      if (now.migrating?.waitEventType !== "Lock") {
        expect(now.blockers).toEqual([])
        expect(now.migrating?.heldLocks).toContainEqual({
          relation: "things",
          mode: "AccessExclusiveLock",
        })
        expect(now.blocked.map((s) => s.applicationName)).toEqual(["coderd-api"])
        return
      }
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    throw new Error("the migration never got its lock")
  })
})
