import { spawn } from "node:child_process"
import {
  chmod,
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  writeFile,
} from "node:fs/promises"
import { tmpdir, userInfo } from "node:os"
import { basename, dirname, join } from "node:path"
import * as PostgresCluster from "@coderops/pg-server"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ensureEmbeddedServer, stopEmbeddedServer } from "../src/index.js"

// A clone in root's home (mode 0700) keeps node_modules, and with it the server's binaries,
// where the `postgres` account that runs the server as root cannot go.
const parent = await mkdtemp(join(tmpdir(), "coderops-private-bin-"))
// The data directories and the cache are beside it, where the account can go.
await chmod(parent, 0o755)
const home = join(parent, "home")
const cache = join(parent, "cache")
const installed = await PostgresCluster.findBinaries()
const installation = dirname(dirname(installed.postgres))
const privateBin = join(home, "clone", "native", "bin")
const copies = join(cache, "coderops", "postgres-binaries")

const roots: Array<string> = []
const before = { bin: process.env.CODEROPS_PG_BIN, cache: process.env.XDG_CACHE_HOME }
const restore = (name: string, value: string | undefined) => {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}
beforeAll(async () => {
  await mkdir(home, { mode: 0o700 })
  await cp(installation, join(home, "clone", "native"), { recursive: true })
  process.env.CODEROPS_PG_BIN = privateBin
  // Copies go to the cache folder of the environment when the account can reach it.
  process.env.XDG_CACHE_HOME = cache
})
afterAll(async () => {
  for (const root of roots) await Effect.runPromise(Effect.ignore(stopEmbeddedServer(root)))
  restore("CODEROPS_PG_BIN", before.bin)
  restore("XDG_CACHE_HOME", before.cache)
  await rm(parent, { recursive: true, force: true })
})

/** The one copy in the cache, and the program the running server was started from. */
const copyOf = async () => {
  const names = (await readdir(copies)).filter((name) => !name.includes("."))
  expect(names).toHaveLength(1)
  return join(copies, names[0] ?? "")
}
const programOf = async (dataDir: string) => {
  const pid = Number((await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0])
  return readlink(`/proc/${pid}/exe`)
}

const queryOne = async (url: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<{ one: number }>("SELECT 1 AS one")).rows
  } finally {
    await client.end()
  }
}

// Each start copies or hashes some 60 MB: slow on a loaded machine.
describe.skipIf(userInfo().uid !== 0 || process.platform !== "linux")(
  "as root, binaries the postgres account cannot reach",
  () => {
    it("are run from a copy it can reach: the embedded server starts, answers and stops", async () => {
      const root = join(parent, "embedded")
      roots.push(root)
      const server = await Effect.runPromise(ensureEmbeddedServer(root))
      expect(server.started).toBe(true)
      const { user, password, port } = server.settings
      const secret = password === undefined ? "" : Redacted.value(password)
      expect(await queryOne(`postgres://${user}:${secret}@127.0.0.1:${port}/coder`)).toEqual([
        { one: 1 },
      ])
      expect(await programOf(server.dataDir)).toBe(join(await copyOf(), "bin", "postgres"))
      expect(await Effect.runPromise(stopEmbeddedServer(root))).toBe(true)
    }, 180_000)

    it("a copy changed after it was made is replaced before the server runs from it", async () => {
      // The test harness's kind of server: a throwaway cluster through pg-server directly.
      const binaries = {
        initdb: join(privateBin, "initdb"),
        pg_ctl: join(privateBin, "pg_ctl"),
        postgres: join(privateBin, "postgres"),
      }
      const copy = await copyOf()
      const program = join(copy, "bin", "postgres")
      await writeFile(program, "#!/bin/sh\nexit 1\n")
      const extra = join(copy, "lib", "planted.so")
      await writeFile(extra, "")
      const account = await PostgresCluster.serverAccount()
      const reached = await PostgresCluster.reachableBinaries(binaries, account, copies)
      expect(reached.postgres).toBe(program)
      expect(await readFile(program)).toEqual(await readFile(installed.postgres))
      expect(await readdir(join(copy, "lib"))).not.toContain("planted.so")

      const root = join(parent, "cluster")
      await mkdir(root, { mode: 0o755 })
      const cluster = { binaries, dataDir: join(root, "data"), ephemeral: true }
      const credentials = await PostgresCluster.initCluster(cluster)
      const port = await PostgresCluster.freePort()
      // Changed again between init and start: caught again, or pg_ctl would fail to start it.
      await writeFile(program, "#!/bin/sh\nexit 1\n")
      try {
        await PostgresCluster.startCluster(cluster, port)
        const url = `postgres://${credentials.user}:${credentials.password}@127.0.0.1:${port}/postgres`
        expect(await queryOne(url)).toEqual([{ one: 1 }])
        expect(await programOf(cluster.dataDir)).toBe(program)
      } finally {
        await PostgresCluster.stopCluster(cluster, "immediate")
      }
    }, 180_000)

    it("keeps copies in XDG_CACHE_HOME when the account can reach it, else in /var/cache", async () => {
      const account = await PostgresCluster.serverAccount()
      if (account === undefined) throw new Error("root runs the server as another account")
      const cacheDir = (env: Record<string, string>) =>
        PostgresCluster.binariesCacheDir(account, env)
      expect(await cacheDir({ XDG_CACHE_HOME: cache })).toBe(copies)
      // Root's own ~/.cache is behind its 0700 home.
      const fallback = "/var/cache/coderops/postgres-binaries"
      expect(await cacheDir({ XDG_CACHE_HOME: join(home, ".cache") })).toBe(fallback)
      expect(await cacheDir({})).toBe(fallback)
    })

    it("a cache folder others could swap is refused, not used", async () => {
      const open = join(parent, "open")
      await mkdir(open)
      await chmod(open, 0o777)
      const account = await PostgresCluster.serverAccount()
      const binaries = { ...installed, postgres: join(privateBin, "postgres") }
      await expect(
        PostgresCluster.reachableBinaries(binaries, account, join(open, "cache")),
      ).rejects.toMatchObject({
        _tag: "UnsafeDirectory",
        what: "PostgreSQL binaries",
        directory: open,
        mode: 0o777,
      })
    })
    it("making a copy removes those of installations that are gone, not one still installed or running", async () => {
      const account = await PostgresCluster.serverAccount()
      const binaries = {
        initdb: join(privateBin, "initdb"),
        pg_ctl: join(privateBin, "pg_ctl"),
        postgres: join(privateBin, "postgres"),
      }
      const copy = await copyOf()
      /** A copy as its manifest says, of `source` (16 hex digits name copies). */
      const copyFrom = async (name: string, source: string | undefined) => {
        await mkdir(join(copies, name, "bin"), { recursive: true })
        if (source !== undefined)
          await writeFile(join(copies, name, "manifest.json"), JSON.stringify({ source }))
        return name
      }
      const gone = await copyFrom("00000000000000a1", join(parent, "uninstalled"))
      const stillInstalled = await copyFrom("00000000000000a2", installation)
      const running = await copyFrom("00000000000000a3", join(parent, "uninstalled-too"))
      const unknown = await copyFrom("00000000000000a4", undefined)
      const sleep = join(copies, running, "bin", "sleep")
      await copyFile("/usr/bin/sleep", sleep)
      await chmod(sleep, 0o755)
      const sleeper = spawn(sleep, ["60"], { stdio: "ignore" })
      try {
        await new Promise((resolve) => sleeper.once("spawn", resolve))
        // The copy is good: nothing is made, nothing removed.
        await PostgresCluster.reachableBinaries(binaries, account, copies)
        expect(await readdir(copies)).toContain(gone)
        // Changed: a new copy is made, and the copy of an installation that is gone goes.
        await writeFile(join(copy, "bin", "postgres"), "#!/bin/sh\nexit 1\n")
        await PostgresCluster.reachableBinaries(binaries, account, copies)
        const names = await readdir(copies)
        expect(names).not.toContain(gone)
        expect(names).toEqual(
          expect.arrayContaining([basename(copy), stillInstalled, running, unknown]),
        )
      } finally {
        sleeper.kill()
        for (const name of [gone, stillInstalled, running, unknown])
          await rm(join(copies, name), { recursive: true, force: true })
      }
    }, 180_000)
  },
)
