import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { loadMigrations } from "@coderops/migrations"
import { run } from "@coderops/test-db"
import { useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { rehearseMigrations } from "../src/Rehearsal.js"
import { directoryWith371 } from "./harness.js"

const database = useTestDatabase()

// A migration that fails unless its tables are as production's: vacuumed (hint bits set,
// pages all-visible where no snapshot holds them back) and checkpointed since (its first
// change to a page is a full-page write, as in production, at every scale).
const checks = `DO $$
BEGIN
  IF (SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'api_keys') IS NULL THEN
    RAISE EXCEPTION 'api_keys is not vacuumed';
  END IF;
  IF NOT coalesce((SELECT checkpoint_time FROM pg_control_checkpoint())
                  >= (SELECT date_trunc('second', last_vacuum) FROM pg_stat_user_tables WHERE relname = 'api_keys'), false) THEN
    RAISE EXCEPTION 'no checkpoint since the data was loaded';
  END IF;
END $$;
DELETE FROM api_keys WHERE expires_at < now();
`

describe("rehearseMigrations' data", () => {
  it("is vacuumed and checkpointed before the migration runs, as production's is", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "coderops-prepared-")), "check.sql")
    await writeFile(path, checks)
    const source = await run(database.url, loadMigrations(await directoryWith371(path)))
    const rehearsal = await run(
      database.url,
      rehearseMigrations(source, {
        database: false,
        rows: { api_keys: 400, users: 20 },
        scales: [0.5, 1],
        comparePurge: false,
      }),
    )
    for (const scale of rehearsal.variants[0]!.runs) {
      expect(scale.rows.api_keys).toBeGreaterThan(0)
      expect(scale.migrations[0]!.failed).toBeUndefined()
    }
  }, 120_000)
})
