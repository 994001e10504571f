import { spawn } from "node:child_process"
import { once } from "node:events"
import { existsSync } from "node:fs"
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { processAlive } from "@coderops/pg-server"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { Db, privateServer } from "../src/index.js"

const sharedBuffers = Effect.gen(function* () {
  const db = yield* Db
  const [row] = yield* db.query<{ bytes: string }>(
    "TestSharedBuffers",
    "SELECT pg_size_bytes(current_setting('shared_buffers')) AS bytes",
  )
  return Number(row?.bytes)
})

describe("privateServer", () => {
  it("starts a server of its own with the given parameters, restarts it with others, and removes it with its scope", async () => {
    const seen = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const server = yield* privateServer({ shared_buffers: "3MB" })
          const onServer = <A, E>(program: Effect.Effect<A, E, Db>) =>
            Effect.provide(program, Db.layerFrom(server.settings))
          const first = yield* onServer(sharedBuffers)
          yield* server.restart({ shared_buffers: "5MB" })
          const second = yield* onServer(sharedBuffers)
          // The same parameters again: no restart, the server keeps its start time.
          const started = onServer(
            Db.use((db) =>
              db.query<{ at: string }>(
                "TestStartTime",
                "SELECT pg_postmaster_start_time()::text AS at",
              ),
            ),
          )
          const before = yield* started
          yield* server.restart({ shared_buffers: "5MB" })
          const after = yield* started
          return {
            first,
            second,
            restarted: before[0]?.at !== after[0]?.at,
            dataDir: server.dataDir,
          }
        }),
      ),
    )
    expect(seen.first).toBe(3 << 20)
    expect(seen.second).toBe(5 << 20)
    expect(seen.restarted).toBe(false)
    expect(existsSync(seen.dataDir)).toBe(false)
  }, 60_000)

  it("refuses a parameter that is not one, and leaves no folder behind", async () => {
    const parent = await mkdtemp(join(tmpdir(), "coderops-private-test-"))
    await chmod(parent, 0o755)
    const error = await Effect.runPromise(
      Effect.flip(Effect.scoped(privateServer({ shared_buffers: "1MB -c fsync=off" }, parent))),
    )
    expect(error._tag).toBe("EmbeddedPostgresError")
    expect(error.message).toMatch(/not a server parameter: shared_buffers=1MB -c fsync=off/)
    expect(await readdir(parent)).toEqual([])
    await rm(parent, { recursive: true })
  }, 60_000)

  it("a server whose process was killed outright is stopped and removed by the next one", async () => {
    const parent = await mkdtemp(join(tmpdir(), "coderops-private-test-"))
    await chmod(parent, 0o755)
    // A process that starts a server, says where, and waits to be killed.
    const script = `
      const Effect = await import("effect/Effect")
      const { privateServer } = await import(${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)})
      await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
        const server = yield* privateServer({}, ${JSON.stringify(parent)})
        console.log(server.dataDir)
        yield* Effect.never
      })))`
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      stdio: ["ignore", "pipe", "inherit"],
    })
    const [line] = (await once(child.stdout, "data")) as [Buffer]
    const dataDir = line.toString().trim()
    const postmaster = Number(
      (await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0],
    )
    child.kill("SIGKILL")
    await once(child, "exit")
    expect(processAlive(postmaster)).toBe(true)
    await Effect.runPromise(Effect.scoped(privateServer({}, parent)))
    expect(processAlive(postmaster)).toBe(false)
    expect(await readdir(parent)).toEqual([])
    await rm(parent, { recursive: true })
  }, 60_000)
})
