import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Db } from "@coderops/db-core"
import { loadMigrations, splitStatements } from "@coderops/migrations"
import { run } from "@coderops/test-db"
import { useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { runInstrumented } from "../src/InstrumentedRun.js"

const database = useTestDatabase()

const files = {
  "000001_index": "-- coder:no-transaction\nCREATE INDEX CONCURRENTLY things_x ON things (x);\n",
  "000002_rewrite":
    "ALTER TABLE things ALTER COLUMN x TYPE bigint;\nUPDATE things SET x = x + 1;\n",
  "000003_fails": "ALTER TABLE things ADD COLUMN y int;\nSELECT 1 / 0;\n",
}

describe("runInstrumented", () => {
  it("measures each statement in the migration's transaction, outside one for no-transaction, and rolls back a failure", async () => {
    const dir = await mkdtemp(join(tmpdir(), "coderops-instrumented-"))
    for (const [name, sql] of Object.entries(files)) {
      await writeFile(join(dir, `${name}.up.sql`), sql)
      await writeFile(join(dir, `${name}.down.sql`), "SELECT 1;")
    }
    const { measures, columns } = await run(
      database.url,
      Effect.gen(function* () {
        const db = yield* Db
        yield* db.script(
          "TestInstrumentedSetup",
          "CREATE TABLE things (x int); INSERT INTO things SELECT g FROM generate_series(1, 5000) g",
        )
        const source = yield* loadMigrations(dir)
        const measures = []
        for (const migration of source.migrations) {
          const statements = yield* Effect.promise(() => splitStatements(migration.up.sql))
          measures.push(
            yield* db.withSession(
              runInstrumented(db, migration, statements, { lockTimeout: "3 seconds" }),
            ),
          )
        }
        const columns = yield* db.query<{ name: string }>(
          "TestInstrumentedColumns",
          "SELECT attname AS name FROM pg_attribute WHERE attrelid = 'things'::regclass AND attnum > 0 AND NOT attisdropped",
        )
        return { measures, columns: columns.map((c) => c.name) }
      }),
    )
    const [index, rewrite, fails] = measures
    expect(index!.transactional).toBe(false)
    expect(index!.failed).toBeUndefined()
    expect(rewrite!.transactional).toBe(true)
    const [alter, update] = rewrite!.statements
    expect(alter!.rewritten).toContain("things")
    expect(alter!.locks).toContainEqual({ relation: "things", mode: "AccessExclusiveLock" })
    expect(update!.rows).toBe(5000)
    expect(update!.walBytes).toBeGreaterThan(5000 * 20)
    // Held from the ALTER until the commit, past the UPDATE.
    const lock = rewrite!.locks.find((l) => l.mode === "AccessExclusiveLock")!
    expect(lock.toSeconds).toBeGreaterThanOrEqual(update!.startSeconds + update!.seconds)
    expect(fails!.failed?.statement).toBe(1)
    expect(fails!.failed?.message).toContain("division by zero")
    expect(columns).toEqual(["x"])
  })
})
