import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { migrationsDir } from "@coderops/coder-schema"
import { loadMigrations } from "@coderops/migrations"
import { run } from "@coderops/test-db"
import * as Effect from "effect/Effect"
import { type LintOptions, lintMigrations } from "../src/index.js"

/** A migration directory of `files` (name → up SQL); each gets an empty down file. */
export const migrationDir = async (files: Record<string, string>): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-lint-"))
  for (const [name, sql] of Object.entries(files)) {
    await writeFile(join(dir, `${name}.up.sql`), sql)
    await writeFile(join(dir, `${name}.down.sql`), "SELECT 1;\n")
  }
  return dir
}

/** The bundled baseline (000370) plus `files`. */
export const onBaseline = async (files: Record<string, string>) =>
  migrationDir({
    "000370_baseline": await readFile(join(migrationsDir, "000370_baseline.up.sql"), "utf8"),
    ...files,
  })

export const lint = (url: string, dir: string, options: Partial<LintOptions> = {}) =>
  run(
    url,
    Effect.gen(function* () {
      const source = yield* loadMigrations(dir)
      return yield* lintMigrations(source, { database: false, scope: { kind: "all" }, ...options })
    }),
  )
