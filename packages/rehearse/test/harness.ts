import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { migrationsDir } from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { loadMigrations, makeMigrator } from "@coderops/migrations"
import { seedDeployment } from "@coderops/synthetic"
import * as Effect from "effect/Effect"

export { slow371Path } from "@coderops/coder-schema"
export const fast371Path = join(migrationsDir, "000371_api_key_scopes_array_allow_list.up.sql")

/** The bundled baseline (000370) and a 000371 from `path`, as a migration directory. */
export const directoryWith371 = async (path: string) => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-rehearse-"))
  const baseline = "000370_baseline"
  await writeFile(
    join(dir, `${baseline}.up.sql`),
    await readFile(join(migrationsDir, `${baseline}.up.sql`), "utf8"),
  )
  await writeFile(join(dir, `${baseline}.down.sql`), "SELECT 1;\n")
  const name = "000371_api_key_scopes_array_allow_list"
  await writeFile(join(dir, `${name}.up.sql`), await readFile(path, "utf8"))
  await writeFile(join(dir, `${name}.down.sql`), "SELECT 1;\n")
  return dir
}

/** The database at 000370 with a seeded deployment of `apiKeys` keys, 90% long expired. */
export const seededAt370 = (apiKeys: number) =>
  Effect.gen(function* () {
    const migrator = yield* makeMigrator(yield* loadMigrations(migrationsDir))
    yield* migrator.goto(370)
    yield* seedDeployment({
      orgs: 2,
      users: 50,
      templatesPerOrg: 1,
      versionsPerTemplate: 1,
      presetsPerVersion: 1,
      apiKeys,
      expiredFraction: 0.9,
      seed: 3,
      now: new Date(),
    })
    const db = yield* Db
    yield* db.script("TestAnalyze", "ANALYZE")
  })
