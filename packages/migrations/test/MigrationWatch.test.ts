import { createTestDatabase, databaseUrl } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { loadMigrations, type MigratorEvent, makeMigrator } from "../src/index.js"
import { migrationDir, openSession, run } from "./support.js"

const fresh = async () => databaseUrl(await createTestDatabase())

type Running = Extract<MigratorEvent, { type: "running" }>

/** `up` over `dir` with a fast watch; `onRunning` hears each running event as it comes. */
const upWatched = (
  url: string,
  dir: string,
  onRunning: (event: Running) => void = () => {},
  options: { readonly txMode?: "per-migration" | "all" } = {},
) => {
  const events: Array<MigratorEvent> = []
  return run(
    url,
    Effect.gen(function* () {
      const migrator = yield* makeMigrator(yield* loadMigrations(dir), {
        lockTimeout: 0,
        txMode: options.txMode,
        watch: { after: "300 millis", every: "100 millis" },
        onEvent: (event) => {
          events.push(event)
          if (event.type === "running") onRunning(event)
        },
      })
      return yield* migrator.up()
    }),
  ).then((result) => ({ result, events }))
}

describe("watching long migrations", () => {
  for (const txMode of ["per-migration", "all"] as const) {
    it(`names the session whose table lock a migration waits for, while it waits (${txMode})`, async () => {
      const url = await fresh()
      const dir = await migrationDir({
        "000001_t.up.sql": "CREATE TABLE t (id int);",
        "000001_t.down.sql": "DROP TABLE t;",
        "000002_alter.up.sql": "ALTER TABLE t ADD COLUMN x int;",
        "000002_alter.down.sql": "ALTER TABLE t DROP COLUMN x;",
      })
      await run(
        url,
        Effect.flatMap(Effect.flatMap(loadMigrations(dir), makeMigrator), (m) =>
          m.up({ limit: 1 }),
        ),
      )
      const holder = await openSession(url, "lock-holder")
      const [{ pid }] = (await holder.query("SELECT pg_backend_pid() AS pid")).rows as [
        { pid: number },
      ]
      await holder.query("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE")
      let released = false
      try {
        const { result, events } = await upWatched(
          url,
          dir,
          (event) => {
            // The lock is released only once the watch has named its holder.
            if (!released && event.blockedBy.length > 0) {
              released = true
              void holder.query("COMMIT")
            }
          },
          { txMode },
        )
        expect(result.steps.map((s) => s.version)).toEqual([2])
        const running = events.filter((e): e is Running => e.type === "running")
        const blocked = running.find((e) => e.blockedBy.length > 0)
        expect(blocked).toMatchObject({ version: 2, direction: "up", name: "000002_alter.up.sql" })
        expect(blocked!.seconds).toBeGreaterThanOrEqual(0.3)
        expect(blocked!.blockedBy).toEqual([
          expect.objectContaining({
            pid,
            applicationName: "lock-holder",
            state: "idle in transaction",
            query: "BEGIN; LOCK TABLE t IN ACCESS SHARE MODE",
          }),
        ])
        // Reported while it ran, not after: the done event comes last.
        expect(events.at(-1)).toMatchObject({ type: "done", version: 2 })
      } finally {
        await holder.close()
      }
    })
  }

  it("reports a slow migration with no blocker, and a fast one not at all", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_fast.up.sql": "CREATE TABLE fast (id int);",
      "000001_fast.down.sql": "DROP TABLE fast;",
      "000002_slow.up.sql": "SELECT pg_sleep(0.8);",
      "000002_slow.down.sql": "SELECT 1;",
      "000003_fast.up.sql": "CREATE TABLE fast2 (id int);",
      "000003_fast.down.sql": "DROP TABLE fast2;",
    })
    const { events } = await upWatched(url, dir)
    const running = events.filter((e): e is Running => e.type === "running")
    expect(running.length).toBeGreaterThanOrEqual(1)
    expect(running.every((e) => e.version === 2 && e.blockedBy.length === 0)).toBe(true)
    expect(running.every((e) => e.seconds >= 0.3)).toBe(true)
  })
})
