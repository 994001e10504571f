import { loadMigrations } from "@coderops/migrations"
import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { locateRunningMigration, readMigrationActivity } from "../src/index.js"
import { migrationDirectory, migrationLockKey, pid, send, session, waitsOnLock } from "./support.js"

const database = useTestDatabase()

const second = `-- Split the notes from the things.
CREATE TABLE notes (thing_id int, body text);
INSERT INTO notes SELECT id, 'x' FROM things;
ALTER TABLE things
  ADD COLUMN note_count int NOT NULL DEFAULT 0;
UPDATE things SET note_count = 1;
`

describe("locateRunningMigration", () => {
  it("finds the pending file a coderd transaction runs and the statement waiting for its lock", async () => {
    const dir = migrationDirectory({
      "000001_things": "CREATE TABLE things (id int PRIMARY KEY);",
      "000002_notes": second,
      "000003_more": "ALTER TABLE notes ADD COLUMN author text;",
    })
    await sql(
      database.url,
      `CREATE TABLE things (id int PRIMARY KEY); INSERT INTO things VALUES (1), (2);
       CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);
       INSERT INTO schema_migrations VALUES (1, false);`,
    )
    const reader = await session(database.url, "dashboard")
    await reader.query("BEGIN; SELECT * FROM things")
    const coderd = await session(database.url, "coderd")
    await coderd.query(`BEGIN; SELECT pg_advisory_xact_lock(${migrationLockKey})`)
    // golang-migrate sends the file as one query: the session's query text is the file.
    send(coderd, second)
    await waitsOnLock(database.url, pid(coderd))

    const set = await Effect.runPromise(loadMigrations(dir))
    const locate = async () => {
      const activity = await run(database.url, readMigrationActivity())
      const pending = set.migrations.filter((m) => m.version > (activity.state?.version ?? -1))
      return Effect.runPromise(locateRunningMigration(activity.migrating!, pending))
    }
    expect(await locate()).toEqual({
      version: 2,
      file: "000002_notes.up.sql",
      pendingIndex: 1,
      pendingCount: 2,
      statement: {
        index: 3,
        count: 4,
        line: 4,
        // Its two lines on one.
        text: "ALTER TABLE things ADD COLUMN note_count int NOT NULL DEFAULT 0",
        basis: "waits-for-its-lock",
      },
    })

    // Once the lock is granted, the statement is known by the locks the session holds.
    await reader.query("COMMIT")
    const located = await locate()
    expect(located?.version).toBe(2)
    expect(located?.statement).toMatchObject({ index: 4, basis: "holds-its-locks" })
  })

  it("matches coderops' own message, which sends BEGIN and its settings before the file, and a text the server cut short", async () => {
    const long = `CREATE TABLE wide (${Array.from({ length: 120 }, (_, i) => `c${i} int`).join(", ")});`
    const dir = migrationDirectory({ "000010_wide": long, "000011_other": "SELECT 1;" })
    const set = await Effect.runPromise(loadMigrations(dir))
    const session = {
      query: `BEGIN; SET LOCAL lock_timeout = 3000; ${long}`.slice(0, 1023),
      waitingFor: [],
      heldLocks: [],
    } as unknown as Parameters<typeof locateRunningMigration>[0]
    const located = await Effect.runPromise(locateRunningMigration(session, set.migrations))
    expect(located).toMatchObject({ version: 10, pendingIndex: 1, pendingCount: 2 })
    // A query that is none of the files is no migration of this directory.
    const other = { ...session, query: "VACUUM things" }
    expect(await Effect.runPromise(locateRunningMigration(other, set.migrations))).toBeUndefined()
  })
})
