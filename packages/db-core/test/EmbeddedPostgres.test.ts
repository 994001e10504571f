import { chmod, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as PostgresCluster from "@coderops/pg-server"
import * as Effect from "effect/Effect"
import { afterAll, describe, expect, it } from "vitest"
import { Db, defaultEmbeddedRoot, ensureEmbeddedServer, stopEmbeddedServer } from "../src/index.js"

const parent = await mkdtemp(join(tmpdir(), "coderops-embedded-"))
// As root the server runs as `postgres`, which must be able to enter the folder.
await chmod(parent, 0o755)
const root = join(parent, "postgres")

afterAll(async () => {
  await Effect.runPromise(Effect.ignore(stopEmbeddedServer(root)))
  await rm(parent, { recursive: true, force: true })
})

describe("EmbeddedPostgres", () => {
  it("starts one server for two concurrent callers, then reuses it", async () => {
    const [a, b] = await Promise.all([
      Effect.runPromise(ensureEmbeddedServer(root)),
      Effect.runPromise(ensureEmbeddedServer(root)),
    ])
    expect([a.started, b.started].sort()).toEqual([false, true])
    expect(a.port).toBe(b.port)
    const pid = await PostgresCluster.runningPid(a.dataDir)
    expect(pid).toBeGreaterThan(0)

    const again = await Effect.runPromise(ensureEmbeddedServer(root))
    expect(again.started).toBe(false)
    expect(await PostgresCluster.runningPid(again.dataDir)).toBe(pid)

    const rows = await Effect.runPromise(
      Effect.provide(
        Db.use((db) =>
          db.query<{ db: string }>("CurrentDatabase", "SELECT current_database() AS db"),
        ),
        Db.layerFrom(again.settings),
      ),
    )
    expect(rows).toEqual([{ db: "coder" }])
  })

  it("restarts a stopped server on the same data", async () => {
    expect(await Effect.runPromise(stopEmbeddedServer(root))).toBe(true)
    const restarted = await Effect.runPromise(ensureEmbeddedServer(root))
    expect(restarted.started).toBe(true)
  })

  it("chooses the data directory from the environment", () => {
    expect(defaultEmbeddedRoot({ CODEROPS_DATA_DIR: "/x/y" })).toBe("/x/y")
    expect(defaultEmbeddedRoot({ XDG_DATA_HOME: "/data" })).toBe("/data/coderops/postgres")
  })
})
