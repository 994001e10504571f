import { readFile } from "node:fs/promises"
import { type AddressInfo, createServer, type Socket } from "node:net"
import { fileURLToPath } from "node:url"
import { useTestDatabase } from "@coderops/test-postgres"
import { Config } from "@oclif/core"
import { beforeAll, describe, expect, it } from "vitest"
import {
  coderops,
  descendantsOf,
  launch,
  node,
  portOpen,
  processAlive,
  type Running,
} from "./cli.js"

const database = useTestDatabase()

beforeAll(async () => {
  expect((await coderops(["migrate", "up", "--database-url", database.url])).code).toBe(0)
}, 120_000)

/** The two long-running modes, each with what says it is at work. */
const modes = {
  "metrics serve": {
    args: ["metrics", "serve", "--metrics-addr", "127.0.0.1:0"],
    working: async (_running: Running, listen: string) => {
      // A scrape that reached the database: it serves, and does its work.
      const body = await (await fetch(`http://${listen}/metrics`)).text()
      expect(body).toContain("coderops_exporter_database_up 1")
    },
  },
  "prebuilds reconcile --watch": {
    args: [
      "prebuilds",
      "reconcile",
      "--watch",
      "--interval",
      "1s",
      "--metrics-addr",
      "127.0.0.1:0",
    ],
    working: (running: Running) =>
      running.waitFor(() => running.events().some((e) => e.event === "pass"), "first pass"),
  },
  "migrate watch": {
    args: ["migrate", "watch", "--interval", "200ms", "--metrics-addr", "127.0.0.1:0"],
    working: (running: Running) =>
      running.waitFor(() => running.events().some((e) => e.event === "reading"), "a reading"),
  },
} as const

/**
 * Starts a mode, waits until it works, stops it with `signal`, and checks that it ended at
 * once and cleanly: exit 0 within 2 s, its port closed, nothing it started left running.
 */
const stopWith = async (mode: keyof typeof modes, signal: NodeJS.Signals) => {
  const running = launch([...modes[mode].args, "--json"], {
    CODER_PG_CONNECTION_URL: database.url,
  })
  await running.waitFor(() => running.events().some((e) => e.event === "started"), "started")
  const started = running.events()[0]!
  const listen = started.listen as string
  const [host, port] = [listen.slice(0, listen.lastIndexOf(":")), Number(listen.split(":").pop())]
  expect(await portOpen(host, port)).toBe(true)
  await modes[mode].working(running, listen)
  const children = await descendantsOf(running.pid)
  const stopped = await running.stop(signal)
  expect(stopped, running.stderr()).toMatchObject({ code: 0, signal: null })
  expect(stopped.ms).toBeLessThan(2000)
  expect(await portOpen(host, port)).toBe(false)
  // Neither a child it had nor any process it left behind (an orphan's parent is gone).
  for (const pid of children) expect(await processAlive(pid)).toBe(false)
  expect(await descendantsOf(running.pid)).toEqual([])
  const events = running.events()
  expect(events.at(-1)).toMatchObject({ event: "stopped", signal })
  // It stopped cleanly, not by leaving its work behind after the grace period.
  expect(running.stderr()).not.toContain("still waiting on the database")
  // What stopped it is named; the Ctrl-C hint is only for a person at a terminal.
  expect(running.stderr()).not.toContain("Ctrl-C")
  return events
}

describe("SIGTERM and SIGINT end a long-running command cleanly (the real node binary)", () => {
  it("runs on the node binary itself, not a shell wrapper", async () => {
    expect((await readFile(node)).subarray(0, 4).toString("latin1")).toBe("\x7fELF")
  })

  for (const mode of Object.keys(modes) as Array<keyof typeof modes>) {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      it(`${mode}: ${signal} → exit 0 within 2 s, port closed, no process left`, async () => {
        await stopWith(mode, signal)
      })
    }
  }
})

describe("long-running modes under --json write one JSON object per line", () => {
  it("metrics serve: started with the bound address, stopped with the signal and uptime", async () => {
    const events = await stopWith("metrics serve", "SIGTERM")
    expect(events.map((e) => e.event)).toEqual(["started", "stopped"])
    const [started, stopped] = events
    expect(started).toMatchObject({
      listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      minRefreshSeconds: 15,
      scrapeTimeoutSeconds: 10,
    })
    expect(started!.url).toBe(`http://${started!.listen}/metrics`)
    expect(new Date(started!.time as string).toISOString()).toBe(started!.time)
    expect(stopped!.uptimeSeconds).toBeGreaterThan(0)
    expect(String(stopped!.uptimeSeconds)).toMatch(/^\d+(\.\d{1,3})?$/)
  })

  it("metrics serve: an IPv6 address in brackets, as the system bound it", async () => {
    const running = launch(["metrics", "serve", "--metrics-addr", "[::1]:0", "--json"], {
      CODER_PG_CONNECTION_URL: database.url,
    })
    await running.waitFor(() => running.events().length > 0, "started")
    const started = running.events()[0]!
    expect(started.listen).toMatch(/^\[::1\]:\d+$/)
    expect((await fetch(started.url as string)).status).toBe(200)
    expect((await running.stop("SIGTERM")).code).toBe(0)
  })

  it("prebuilds reconcile --watch: started, one line per pass with what it did, stopped", async () => {
    const events = await stopWith("prebuilds reconcile --watch", "SIGTERM")
    expect(events[0]).toMatchObject({
      event: "started",
      listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      intervalSeconds: 1,
      leaderLock: true,
    })
    const passes = events.filter((e) => e.event === "pass")
    expect(passes.length).toBeGreaterThanOrEqual(1)
    expect(passes[0]).toMatchObject({
      leader: true,
      organizationsChecked: 0,
      membershipsCreated: 0,
      groupsCreated: 0,
      groupMembershipsCreated: 0,
      errors: [],
      queries: 1,
    })
    expect(String(passes[0]!.seconds)).toMatch(/^\d+(\.\d{1,3})?$/)
    expect(events.at(-1)).toMatchObject({
      event: "stopped",
      signal: "SIGTERM",
      passes: passes.length,
      failedPasses: 0,
    })
  })

  it("prebuilds reconcile --watch without --metrics-addr: listen is null", async () => {
    const running = launch(["prebuilds", "reconcile", "--watch", "--json"], {
      CODER_PG_CONNECTION_URL: database.url,
    })
    await running.waitFor(() => running.events().some((e) => e.event === "pass"), "first pass")
    expect(running.events()[0]).toMatchObject({ event: "started", listen: null, url: null })
    expect((await running.stop("SIGTERM")).code).toBe(0)
  })
})

describe("without --json the text says where it listens and when it stops", () => {
  it("metrics serve", async () => {
    const running = launch(["metrics", "serve", "--metrics-addr", "127.0.0.1:0"], {
      CODER_PG_CONNECTION_URL: database.url,
    })
    const serving = /^(\S+) serving metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics) /m
    await running.waitFor(() => serving.test(running.stderr()), "serving line")
    expect((await running.stop("SIGTERM")).code).toBe(0)
    const lines = running.stderr().trimEnd().split("\n")
    expect(lines[0]).toMatch(serving)
    expect(lines[0]).toContain("SIGTERM or SIGINT stops it")
    expect(lines).toContain("SIGTERM received: finishing cleanly (a second signal exits at once)")
    expect(lines.at(-1)).toMatch(/^\S+Z stopped on SIGTERM after \d+(\.\d+)? s$/)
    expect(running.stderr()).not.toContain("Ctrl-C")
    expect(running.stdout()).toBe("")
  })

  it("prebuilds reconcile --watch", async () => {
    const running = launch(["prebuilds", "reconcile", "--watch", "--metrics-addr", "127.0.0.1:0"], {
      CODER_PG_CONNECTION_URL: database.url,
    })
    await running.waitFor(() => /created 0 membership/.test(running.stderr()), "a pass")
    expect((await running.stop("SIGINT")).code).toBe(0)
    expect(running.stderr()).toMatch(/serving metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/)
    expect(running.stderr()).toContain("SIGINT received: finishing cleanly")
    expect(running.stderr().trimEnd().split("\n").at(-1)).toMatch(
      /^\S+Z stopped on SIGINT after \d+(\.\d+)? s$/,
    )
  })
})

/** Accepts connections and never answers: a connection attempt waits for connect_timeout (10 s). */
const silentServer = async () => {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on("error", () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `postgres://coder:secret@127.0.0.1:${(server.address() as AddressInfo).port}/coder`,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

describe("a database that does not answer does not hold a stop up", () => {
  for (const mode of Object.keys(modes) as Array<keyof typeof modes>) {
    it(`${mode}: SIGTERM while connecting → exit 0 within 2 s, stopped written`, async () => {
      const silent = await silentServer()
      try {
        const running = launch([...modes[mode].args, "--json"], {
          CODER_PG_CONNECTION_URL: silent.url,
        })
        await running.waitFor(() => running.events().length > 0, "started")
        const listen = running.events()[0]!.listen as string
        // A scrape (or the first pass) is now waiting for a connection.
        const scrape = fetch(`http://${listen}/metrics`).catch(() => undefined)
        await new Promise((resolve) => setTimeout(resolve, 300))
        const children = await descendantsOf(running.pid)
        const stopped = await running.stop("SIGTERM")
        expect(stopped, running.stderr()).toMatchObject({ code: 0, signal: null })
        expect(stopped.ms).toBeLessThan(2000)
        expect(running.stderr()).toContain("still waiting on the database")
        expect(running.events().at(-1)).toMatchObject({ event: "stopped", signal: "SIGTERM" })
        expect(await portOpen("127.0.0.1", Number(listen.split(":").pop()))).toBe(false)
        for (const pid of children) expect(await processAlive(pid)).toBe(false)
        await scrape
      } finally {
        await silent.close()
      }
    })
  }
})

describe("a second signal exits at once, with the code of the stop", () => {
  /** Waits `ms`. */
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  /** Sends SIGTERM while the command waits on a database that never answers, then another. */
  const stopTwice = async (args: ReadonlyArray<string>) => {
    const silent = await silentServer()
    try {
      const running = launch(args, { CODER_PG_CONNECTION_URL: silent.url })
      await pause(1500)
      running.kill("SIGTERM")
      await running.waitFor(() => running.stderr().includes("finishing cleanly"), "the stop")
      // Within the long-running modes' grace: the program still waits on the database.
      await pause(200)
      return { ...(await running.stop("SIGTERM")), stderr: running.stderr() }
    } finally {
      await silent.close()
    }
  }

  it("a long-running mode (prebuilds reconcile --watch): exit 0, as its stop without the second", async () => {
    const stopped = await stopTwice(["prebuilds", "reconcile", "--watch"])
    expect(stopped, stopped.stderr).toMatchObject({ code: 0, signal: null })
    expect(stopped.ms).toBeLessThan(500)
  })

  it("a command that is not long-running (migrate watch --once): exit 130", async () => {
    const stopped = await stopTwice(["migrate", "watch", "--once"])
    expect(stopped, stopped.stderr).toMatchObject({ code: 130, signal: null })
    expect(stopped.ms).toBeLessThan(500)
  })
})

describe("a command run in the process leaves no signal handler behind", () => {
  it("migrate watch stopped by SIGTERM: SIGINT and SIGTERM have the listeners they had", async () => {
    const config = await Config.load(fileURLToPath(new URL("..", import.meta.url)))
    const before = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]
    const run = config.runCommand("migrate:watch", [
      "--interval",
      "100ms",
      "--json",
      "--database-url",
      database.url,
    ])
    await expect
      .poll(() => process.listenerCount("SIGTERM"), { timeout: 30_000 })
      .toBe(before[1]! + 1)
    process.emit("SIGTERM", "SIGTERM")
    await run
    expect(process.exitCode ?? 0).toBe(0)
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual(before)
  })
})

describe("a long-running mode that cannot start", () => {
  it("writes its error as one JSON line under --json (a port already in use)", async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve))
    const port = (taken.address() as AddressInfo).port
    try {
      for (const args of [
        ["metrics", "serve"],
        ["prebuilds", "reconcile", "--watch"],
      ]) {
        const result = await coderops([...args, "--metrics-addr", `127.0.0.1:${port}`, "--json"], {
          CODER_PG_CONNECTION_URL: database.url,
        })
        expect(result.code).not.toBe(0)
        const lines = result.stdout.trimEnd().split("\n")
        expect(lines.at(-1)).toMatch(/^\{"error":\{"tag":"MetricsServerError",/)
        for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
      }
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })
})
