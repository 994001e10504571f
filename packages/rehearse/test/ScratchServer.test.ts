import { randomBytes } from "node:crypto"
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseDatabaseUrl } from "@coderops/db-core"
import { loadMigrations } from "@coderops/migrations"
import { run } from "@coderops/test-db"
import { sql, testServer, useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { afterAll, describe, expect, it } from "vitest"
import { rehearseMigrations } from "../src/Rehearsal.js"
import { directoryWith371 } from "./harness.js"

const database = useTestDatabase()
const roles: Array<string> = []

/** A login role on the test server and a URL to its postgres database as that role. */
const role = async (attributes: string) => {
  const name = `scratch_${randomBytes(4).toString("hex")}`
  const password = randomBytes(12).toString("hex")
  await sql(testServer().adminUrl, `CREATE ROLE ${name} LOGIN ${attributes} PASSWORD '${password}'`)
  roles.push(name)
  const url = new URL(testServer().adminUrl)
  url.username = name
  url.password = password
  url.pathname = "/postgres"
  return { name, url: url.toString() }
}

afterAll(async () => {
  for (const name of roles) await sql(testServer().adminUrl, `DROP ROLE IF EXISTS ${name}`)
})

const rehearse = async (scratchUrl: string, check: string) => {
  const path = join(await mkdtemp(join(tmpdir(), "coderops-scratch-")), "check.sql")
  await writeFile(path, check)
  const source = await run(database.url, loadMigrations(await directoryWith371(path)))
  return run(
    database.url,
    Effect.gen(function* () {
      const scratchServer = yield* parseDatabaseUrl(scratchUrl, "--scratch-url")
      return yield* rehearseMigrations(source, {
        database: false,
        rows: { api_keys: 200, users: 10 },
        scales: [0.5, 1],
        comparePurge: false,
        scratchServer,
      })
    }).pipe(Effect.result),
  )
}

describe("rehearseMigrations with a scratch server", () => {
  it("makes the scratch databases through the scratch URL's connection", async () => {
    const maker = await role("CREATEDB")
    // Fails unless the migration runs as the scratch URL's role, in a database it owns.
    const result = await rehearse(
      maker.url,
      `DO $$ BEGIN
         IF current_user <> '${maker.name}' OR (SELECT pg_get_userbyid(datdba) FROM pg_database
                                                  WHERE datname = current_database()) <> '${maker.name}' THEN
           RAISE EXCEPTION 'not on the scratch server';
         END IF;
       END $$;`,
    )
    expect(result._tag).toBe("Success")
    if (result._tag !== "Success") return
    expect(result.success.scratchServer).toMatch(new RegExp(`^${maker.name}@`))
    expect(JSON.stringify(result.success)).not.toContain(new URL(maker.url).password)
    for (const scale of result.success.variants[0]!.runs)
      expect(scale.migrations[0]!.failed).toBeUndefined()
    // Every scratch database it made is gone.
    const left = await sql(
      testServer().adminUrl,
      "SELECT datname FROM pg_database WHERE pg_get_userbyid(datdba) = $1",
      [maker.name],
    )
    expect(left).toEqual([])
  }, 120_000)

  it("says so, before generating anything, when the role may not create databases", async () => {
    const plain = await role("NOCREATEDB")
    const result = await rehearse(plain.url, "SELECT 1;")
    expect(result._tag).toBe("Failure")
    if (result._tag !== "Failure") return
    expect(result.failure).toMatchObject({ _tag: "ScratchServerRefused" })
    expect((result.failure as { message: string }).message).toContain(`${plain.name}@`)
    expect((result.failure as { message: string }).message).not.toContain(
      new URL(plain.url).password,
    )
  }, 60_000)
})
