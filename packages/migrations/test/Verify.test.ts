import { Db } from "@coderops/db-core"
import { sql, testServer, useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { afterAll, describe, expect, it } from "vitest"
import { withScratchDatabase } from "../src/index.js"
import { openSession, run } from "./support.js"

const database = useTestDatabase()
const admin = () => testServer().adminUrl
const scratchNames = async () =>
  (
    await sql<{ name: string }>(
      admin(),
      "SELECT datname AS name FROM pg_database WHERE datname LIKE 'coderops\\_verify\\_%' ORDER BY 1",
    )
  ).map((row) => row.name)

// Names no real run uses (pid 0 and 1), so that runs of other test files stay out of it.
const abandoned = "coderops_verify_0_0000abcd"
const inUse = "coderops_verify_1_0000abce"
// A name coderops never makes, which a DROP must not splice in unquoted.
const odd = "coderops_verify_1; SELECT 1"
afterAll(async () => {
  for (const name of [inUse, abandoned, odd]) {
    await sql(admin(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  }
})

describe("withScratchDatabase", () => {
  it("drops the scratch databases of runs killed outright, never one in use", async () => {
    // What a `migrate verify` killed with SIGKILL leaves: a scratch database nobody uses.
    await sql(admin(), `CREATE DATABASE ${abandoned}`)
    // One a session is connected to, as a run on another host would be.
    await sql(admin(), `CREATE DATABASE ${inUse}`)
    await sql(admin(), `CREATE DATABASE "${odd}"`)
    const url = new URL(admin())
    url.pathname = `/${inUse}`
    const session = await openSession(url.toString())
    try {
      const seen = await run(
        database.url,
        withScratchDatabase(
          Db.use((db) =>
            db.query<{ name: string }>("CurrentDatabase", "SELECT current_database() AS name"),
          ),
        ),
      )
      const own = seen[0]?.name ?? ""
      // The run's own database names its pid, and is gone afterwards.
      expect(own).toMatch(new RegExp(`^coderops_verify_${process.pid}_[0-9a-f]{8}$`))
      const left = await scratchNames()
      expect(left).not.toContain(abandoned)
      expect(left).not.toContain(own)
      expect(left).toContain(inUse)
      expect(left).toContain(odd)
    } finally {
      await session.close()
    }
  })

  it("keeps a scratch database whose run holds its lock, even before it connects", async () => {
    // A run between CREATE DATABASE and its first connection: only its lock marks it.
    const starting = "coderops_verify_1_0000abcf"
    await sql(admin(), `CREATE DATABASE ${starting}`)
    const holder = await openSession(admin())
    try {
      await holder.query(`SELECT pg_advisory_lock(${(0x63647276n << 32n) | 0xabcfn})`)
      await run(database.url, withScratchDatabase(Effect.void))
      expect(await scratchNames()).toContain(starting)
    } finally {
      await holder.close()
      await sql(admin(), `DROP DATABASE IF EXISTS ${starting} WITH (FORCE)`)
    }
  })
})
