import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { statSync } from "node:fs"
import {
  appendFile,
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from "node:fs/promises"
import { createServer, type Server } from "node:net"
import { tmpdir, userInfo } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, describe, expect, it } from "vitest"
import {
  type DatabaseSettings,
  Db,
  defaultEmbeddedRoot,
  EmbeddedTarget,
  embeddedServerStatus,
  ensureEmbeddedServer,
  resolveDatabaseTarget,
  stopEmbeddedServer,
} from "../src/index.js"
import { withFileLock } from "../src/internal/fileLock.js"

const parent = await mkdtemp(join(tmpdir(), "coderops-embedded-"))
// Resolved, never started by resolving: only the layer that connects starts it.
const lazyRoot = join(parent, "lazy")
// As root the server runs as `postgres`, which must be able to enter the folder.
await chmod(parent, 0o755)
// A data directory that exists already, shared and sticky like /tmp: its mode must stay.
const root = join(parent, "shared")
await mkdir(root)
await chmod(root, 0o1777)
// Where the server's files go in such a shared folder: a private folder of this user's.
const home = join(root, `coderops-${userInfo().uid}`)
const privateRoot = join(parent, "private")
const openRoot = join(parent, "open")

const servers: Array<Server> = []
const children: Array<ChildProcess> = []
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL")
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  for (const dir of [root, privateRoot, openRoot, lazyRoot]) {
    await Effect.runPromise(Effect.ignore(stopEmbeddedServer(dir)))
  }
  await rm(parent, { recursive: true, force: true })
})

const ensure = (dir = root) => Effect.runPromise(ensureEmbeddedServer(dir))
const stop = () => Effect.runPromise(stopEmbeddedServer(root))
const status = () => Effect.runPromise(embeddedServerStatus(root))
const modeOf = async (path: string) => (await stat(path)).mode & 0o7777
const currentDatabase = (settings: DatabaseSettings) =>
  Effect.runPromise(
    Effect.provide(
      Db.use((db) =>
        db.query<{ db: string }>("CurrentDatabase", "SELECT current_database() AS db"),
      ),
      Db.layerFrom(settings),
    ),
  )

/** What a client sent to a fake server, by message type, after its startup message. */
interface FakeServer {
  readonly port: number
  readonly received: Array<string>
}

/**
 * A TCP listener that answers a PostgreSQL startup message with an authentication request
 * of the given kind (3 cleartext, 5 MD5, 0 none: "trust"), and records what comes back.
 */
const fakeServer = async (auth: 0 | 3 | 5): Promise<FakeServer> => {
  const received: Array<string> = []
  const server = createServer((socket) => {
    socket.on("error", () => {})
    let buffer = Buffer.alloc(0)
    let started = false
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      if (!started) {
        if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) return
        buffer = buffer.subarray(buffer.readInt32BE(0))
        started = true
        const request = Buffer.alloc(auth === 5 ? 13 : 9)
        request.write("R", 0)
        request.writeInt32BE(auth === 5 ? 12 : 8, 1)
        request.writeInt32BE(auth, 5)
        // Trust: authenticated, ready for queries (ReadyForQuery, idle).
        socket.write(auth === 0 ? Buffer.concat([request, Buffer.from("Z\0\0\0\x05I")]) : request)
      }
      while (buffer.length >= 5 && buffer.length >= 1 + buffer.readInt32BE(1)) {
        received.push(String.fromCharCode(buffer[0] ?? 0))
        buffer = buffer.subarray(1 + buffer.readInt32BE(1))
      }
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  return { port: typeof address === "object" && address ? address.port : 0, received }
}

describe("EmbeddedPostgres", () => {
  it("is started by the connection layer, not by resolving the configuration", async () => {
    const target = await Effect.runPromise(
      resolveDatabaseTarget({ env: { CODEROPS_DATA_DIR: lazyRoot } }),
    )
    expect(target).toEqual(new EmbeddedTarget({ root: lazyRoot, overrides: {} }))
    const before = await Effect.runPromise(embeddedServerStatus(lazyRoot))
    expect(before).toMatchObject({ initialized: false, running: false })
    const rows = await Effect.runPromise(
      Effect.provide(
        Db.use((db) =>
          Effect.map(
            db.query<{ db: string }>("CurrentDatabase", "SELECT current_database() AS db"),
            (rows) => ({ rows, source: db.settings.source }),
          ),
        ),
        Db.layerFrom(target),
      ),
    )
    expect(rows).toEqual({ rows: [{ db: "coder" }], source: "embedded" })
    expect((await Effect.runPromise(embeddedServerStatus(lazyRoot))).running).toBe(true)
  })

  it("starts one server for two concurrent callers, then reuses it", async () => {
    const [a, b] = await Promise.all([ensure(), ensure()])
    expect([a.started, b.started].sort()).toEqual([false, true])
    expect(a.port).toBe(b.port)
    const { pid } = await status()
    expect(pid).toBeGreaterThan(0)

    const again = await ensure()
    expect(again.started).toBe(false)
    expect((await status()).pid).toBe(pid)
    expect(await currentDatabase(again.settings)).toEqual([{ db: "coder" }])
  })

  it.skipIf(userInfo().uid !== 0)(
    "a folder it creates appears with its final mode, never 0700 first (concurrent commands)",
    async () => {
      const made = join(parent, "concurrent")
      // Another process creates it while this one watches, as a second command would.
      const child = spawn(process.execPath, [
        "--input-type=module",
        "-e",
        `import { prepareRoot } from "@coderops/pg-server"; await prepareRoot(${JSON.stringify(join(made, "data-root"))})`,
      ])
      const seen = new Set<number>()
      const until = Date.now() + 10_000
      while (Date.now() < until && child.exitCode === null) {
        try {
          seen.add(statSync(made).mode & 0o7777)
        } catch {}
        if (seen.size > 0 && seen.has(0o711)) break
      }
      if (child.exitCode === null) await once(child, "exit")
      seen.add(statSync(made).mode & 0o7777)
      expect([...seen]).toEqual([0o711])
    },
  )

  it("leaves the mode of an existing data directory as it is (a sticky 1777 one stays so)", async () => {
    expect(await modeOf(root)).toBe(0o1777)
    // Others can write there: the files go into a folder nobody else can write.
    expect((await ensure()).dataDir).toBe(join(home, "data"))
    expect(await modeOf(home)).toBe(userInfo().uid === 0 ? 0o711 : 0o700)
  })

  it("refuses a folder others can write without the sticky bit, and leaves its mode", async () => {
    await mkdir(openRoot)
    await chmod(openRoot, 0o777)
    const result = await Effect.runPromise(Effect.flip(ensureEmbeddedServer(openRoot))).catch(
      () => undefined,
    )
    expect(await modeOf(openRoot)).toBe(0o777)
    expect(result).toMatchObject({
      _tag: "EmbeddedPostgresError",
      unsafeDirectory: { directory: openRoot, mode: "0777", problem: "writable-by-others" },
    })
    if (userInfo().uid === 0) {
      // Another user's folder: they could plant links where root writes and chowns.
      const theirs = join(parent, "theirs")
      await mkdir(theirs, { mode: 0o755 })
      await chown(theirs, 65534, 65534)
      const refused = await Effect.runPromise(Effect.flip(ensureEmbeddedServer(theirs)))
      expect(refused.message).toContain("belongs to another user (uid 65534)")
    }
  })

  it("restarts a stopped server on the same data", async () => {
    expect(await stop()).toBe(true)
    const restarted = await ensure()
    expect(restarted.started).toBe(true)
  })

  it("never opens a private 0700 directory to others; as root it says which one to open", async () => {
    await mkdir(privateRoot, { mode: 0o700 })
    await chmod(privateRoot, 0o700)
    await writeFile(join(privateRoot, "notes.txt"), "private", { mode: 0o600 })
    const result = await Effect.runPromise(Effect.flip(ensureEmbeddedServer(privateRoot))).catch(
      () => undefined,
    )
    expect(await modeOf(privateRoot)).toBe(0o700)
    if (userInfo().uid === 0) {
      // The postgres account that runs the server cannot enter it: say so, change nothing.
      expect(result).toMatchObject({
        _tag: "EmbeddedPostgresError",
        unsafeDirectory: {
          directory: privateRoot,
          mode: "0700",
          problem: "not-enterable",
          account: "postgres",
        },
      })
      expect(result?.message).toContain(privateRoot)
    }
  })

  it("finds and stops a running server whose PG_VERSION was removed", async () => {
    const dataDir = join(home, "data")
    const { pid, port } = await status()
    await rename(join(dataDir, "PG_VERSION"), join(parent, "PG_VERSION"))
    try {
      expect(await status()).toMatchObject({ initialized: true, running: true, pid, port })
      expect(await stop()).toBe(true)
      // The server removes postmaster.pid as it exits.
      expect(await readFile(join(dataDir, "postmaster.pid")).catch(() => "gone")).toBe("gone")
    } finally {
      await rename(join(parent, "PG_VERSION"), join(dataDir, "PG_VERSION"))
    }
  })

  it("a stale postmaster.pid naming a live unrelated process: not running, not signalled, no password sent", async () => {
    expect((await status()).running).toBe(false)
    const dataDir = join(home, "data")
    const fake = await fakeServer(3)
    // After an unclean stop the pid was reused (here: a sleep) and the port taken.
    const sleeper = spawn("sleep", ["600"], { stdio: "ignore" })
    children.push(sleeper)
    const now = Math.floor(Date.now() / 1000)
    await writeFile(
      join(dataDir, "postmaster.pid"),
      `${sleeper.pid}\n${dataDir}\n${now}\n${fake.port}\n\n127.0.0.1\n  0 0\nready   \n`,
    )
    const record = JSON.parse(await readFile(join(home, "server.json"), "utf8"))
    await writeFile(join(home, "server.json"), JSON.stringify({ ...record, port: fake.port }))

    expect(await status()).toMatchObject({ running: false })
    expect(await stop()).toBe(false)
    const server = await ensure()
    expect(server.started).toBe(true)
    expect(server.port).not.toBe(fake.port)
    expect(await currentDatabase(server.settings)).toEqual([{ db: "coder" }])
    expect(await stop()).toBe(true)
    expect(fake.received).toEqual([])
    expect([sleeper.exitCode, sleeper.signalCode]).toEqual([null, null])
  })

  it.each([
    { auth: 3, what: "a cleartext password" },
    { auth: 5, what: "an MD5 password hash" },
    { auth: 0, what: "no authentication at all" },
  ] as const)(
    "refuses a server that asks for $what: no password, no statement sent",
    async ({ auth }) => {
      const { settings } = await ensure()
      const fake = await fakeServer(auth)
      const error = await Effect.runPromise(
        Effect.flip(
          Effect.provide(
            Db.use((db) => db.query("CurrentDatabase", "SELECT current_database()")),
            Db.layerFrom({ ...settings, port: fake.port, embeddedDataDir: undefined }),
          ),
        ),
      )
      expect(error).toMatchObject({ _tag: "ConnectionFailed", code: "ENOSCRAM" })
      expect(error.message).toContain("SCRAM only")
      expect(fake.received).toEqual([])
    },
  )

  it("a pool finds the server again after it restarts on another port", async () => {
    const first = await ensure()
    const runtime = ManagedRuntime.make(Db.layerFrom(first.settings))
    const query = () =>
      runtime.runPromise(Db.use((db) => db.query("CurrentDatabase", "SELECT current_database()")))
    try {
      await query()
      expect(await stop()).toBe(true)
      // Something else takes the port meanwhile, so the server comes back on another one.
      const blocker = createServer((socket) => socket.destroy())
      servers.push(blocker)
      await new Promise<void>((resolve) => blocker.listen(first.port, "127.0.0.1", resolve))
      const second = await ensure()
      expect(second.port).not.toBe(first.port)
      expect(await query()).toEqual([{ current_database: "coder" }])
    } finally {
      await runtime.dispose()
    }
  })

  it("shows only this start's log lines when a start fails", async () => {
    expect(await stop()).toBe(true)
    await appendFile(join(home, "postgres.log"), "LOG:  a line of an earlier run\n")
    // A pg_ctl that fails and writes one line to the log, as a failing server would.
    const bin = join(parent, "bin")
    await mkdir(bin, { mode: 0o755 })
    await writeFile(
      join(bin, "pg_ctl"),
      [
        "#!/bin/sh",
        'while [ $# -gt 0 ]; do [ "$1" = "-l" ] && log="$2"; shift; done',
        'echo "FATAL:  this start failed" >> "$log"',
        "echo 'pg_ctl: could not start server' >&2",
        "exit 1",
      ].join("\n"),
      { mode: 0o755 },
    )
    process.env.CODEROPS_PG_BIN = bin
    try {
      const error = await Effect.runPromise(Effect.flip(ensureEmbeddedServer(root)))
      expect(error.message).toContain("FATAL:  this start failed")
      expect(error.message).not.toContain("earlier run")
    } finally {
      delete process.env.CODEROPS_PG_BIN
    }
  })

  it("takes over an empty lock file left by a process killed before it wrote its pid", async () => {
    const path = join(parent, "start.lock")
    await writeFile(path, "")
    const minuteAgo = new Date(Date.now() - 60_000)
    await utimes(path, minuteAgo, minuteAgo)
    expect(await withFileLock(path, "3 seconds", async () => "ran")).toBe("ran")
  })

  it("chooses the data directory from the environment", () => {
    expect(defaultEmbeddedRoot({ CODEROPS_DATA_DIR: "/x/y" })).toBe("/x/y")
    expect(defaultEmbeddedRoot({ XDG_DATA_HOME: "/data" })).toBe("/data/coderops/postgres")
  })
})
