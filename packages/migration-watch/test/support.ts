import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { sql } from "@coderops/test-postgres"
import pg from "pg"
import { onTestFinished } from "vitest"

export const migrationLockKey = "1037453835920848937"

/** A session of its own (a coderd replica, a user's query), closed when the test ends. */
export const session = async (url: string, applicationName: string): Promise<pg.Client> => {
  const client = new pg.Client({ connectionString: url, application_name: applicationName })
  await client.connect()
  // A query left waiting fails when the test ends and the session closes: expected.
  client.on("error", () => {})
  onTestFinished(async () => {
    await client.end().catch(() => {})
  })
  return client
}

/** The backend pid of a connected client (pg knows it; its types do not say so). */
export const pid = (client: pg.Client): number =>
  (client as unknown as { processID: number }).processID

/** Sends `text` without waiting for it: it may block on a lock. */
export const send = (client: pg.Client, text: string): Promise<unknown> => {
  const result = client.query(text)
  result.catch(() => {})
  return result
}

/** Waits until `pid` waits on a lock. */
export const waitsOnLock = async (url: string, pid: number) => {
  for (let attempt = 0; attempt < 200; attempt++) {
    const rows = await sql<{ waiting: boolean }>(
      url,
      `SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = ${pid}`,
    )
    if (rows[0]?.waiting === true) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`session ${pid} never waited on a lock`)
}

/** A migration directory with the given up files (down files empty). */
export const migrationDirectory = (files: Record<string, string>): string => {
  const dir = mkdtempSync(join(tmpdir(), "coderops-watch-"))
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, `${name}.up.sql`), text)
    writeFileSync(join(dir, `${name}.down.sql`), "")
  }
  return dir
}
