import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { migrationsDir } from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import * as Effect from "effect/Effect"

/**
 * Applies the bundled schema (every up migration, in order, each as one script) without
 * recording versions: for tests and benchmarks of other subsystems. Migrating a real
 * database is `@coderops/migrations`' job.
 */
export const applyCoderSchemaForTests = Effect.fn("CoderSchema.applyForTests")(function* () {
  const db = yield* Db
  const files = (yield* Effect.promise(() => readdir(migrationsDir)))
    .filter((name) => name.endsWith(".up.sql"))
    .sort()
  for (const file of files) {
    const text = yield* Effect.promise(() => readFile(join(migrationsDir, file), "utf8"))
    yield* db.script(`Apply ${file}`, text)
  }
})
