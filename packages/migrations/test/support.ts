import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Db } from "@coderops/db-core"
import type { Metrics } from "@coderops/metrics"
import { run } from "@coderops/test-db"
import * as Effect from "effect/Effect"
import pg from "pg"
import { afterAll } from "vitest"
import {
  loadMigrations,
  type MigratorEvent,
  type MigratorOptions,
  makeMigrator,
} from "../src/index.js"

export { run }

const dirs: Array<string> = []
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

/** A migration directory made of `files` (name → SQL). */
export const migrationDir = async (files: Record<string, string>) => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-migrations-"))
  dirs.push(dir)
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql)
  return dir
}

/** Runs `use` with a migrator over `dir`, collecting its events. */
export const withMigrator = async <A, E>(
  url: string,
  dir: string,
  use: (
    migrator: Effect.Success<ReturnType<typeof makeMigrator>>,
  ) => Effect.Effect<A, E, Db | Metrics>,
  options: MigratorOptions = {},
) => {
  const events: Array<MigratorEvent> = []
  const result = await run(
    url,
    Effect.gen(function* () {
      const source = yield* loadMigrations(dir)
      const migrator = yield* makeMigrator(source, {
        ...options,
        onEvent: (event) => events.push(event),
      })
      return yield* use(migrator)
    }),
  )
  return { result, events }
}

/** A session that stays open (to hold locks) until `close`. */
export const openSession = async (url: string, applicationName = "lock-holder") => {
  const client = new pg.Client({ connectionString: url, application_name: applicationName })
  await client.connect()
  return {
    client,
    query: (text: string) => client.query(text),
    close: () => client.end(),
  }
}
