import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net"
import { Db } from "@coderops/db-core"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import { histogramOf, parseExposition, sampleValue } from "@coderops/test-prometheus"
import * as Effect from "effect/Effect"
import pg from "pg"
import { describe, expect, it } from "vitest"
import {
  type Collector,
  type ExporterOptions,
  formatListenAddress,
  Metrics,
  makeExporter,
  serveExporter,
  serveMetrics,
} from "../src/index.js"
import { run } from "./support.js"

const empty = useTestDatabase()

/** Starts the exporter on a free port, runs `scrapes` against it, then shuts it down. */
const withExporter = <A>(
  url: string,
  collectors: ReadonlyArray<Collector>,
  scrapes: (base: string) => Promise<A>,
  options: ExporterOptions = { minRefresh: "15 seconds", timeout: "5 seconds" },
  poolSize?: number,
) =>
  run(
    url,
    Effect.scoped(
      Effect.gen(function* () {
        const exporter = yield* makeExporter(collectors, options)
        const bound = yield* serveMetrics(
          { host: "127.0.0.1", port: 0 },
          exporter.refresh,
          exporter.readiness,
        )
        return yield* Effect.promise(() => scrapes(`http://127.0.0.1:${bound.port}`))
      }),
    ),
    { poolSize },
  )

const scrape = async (base: string) => {
  const response = await fetch(`${base}/metrics`)
  expect(response.status).toBe(200)
  expect(response.headers.get("content-type")).toContain("text/plain")
  return parseExposition(await response.text())
}

/**
 * A collector that runs one named statement and sets one gauge from it: the exporter's
 * mechanics need no particular subject (the real collectors are tested with their owners
 * and in apps/coderops/test/collectors.test.ts).
 */
const statementCollector = (name: string, statement: string): Collector => ({
  name,
  collect: Effect.gen(function* () {
    const db = yield* Db
    const metrics = yield* Metrics
    const rows = yield* db.query<{ n: number }>(`Collect_${name}`, statement)
    metrics
      .gauge({ name: `test_${name}_value`, help: `What ${name} read.` })
      .set({}, rows[0]?.n ?? 0)
  }),
})

const one = (name: string) => statementCollector(name, "SELECT 1 AS n")

describe("metrics exporter", () => {
  it("skips a collector that cannot read, counts it, and keeps serving", async () => {
    const families = await withExporter(
      empty.url,
      [statementCollector("missing", "SELECT count(*)::int AS n FROM no_such_table"), one("fine")],
      async (base) => {
        const first = await scrape(base)
        expect((await fetch(`${base}/healthz`)).status).toBe(200)
        expect((await fetch(`${base}/nope`)).status).toBe(404)
        return first
      },
    )
    expect(sampleValue(families, "coderops_exporter_errors_total", { collector: "missing" })).toBe(
      1,
    )
    expect(sampleValue(families, "coderops_exporter_errors_total", { collector: "fine" })).toBe(0)
    expect(sampleValue(families, "test_fine_value")).toBe(1)
    expect(families.has("test_missing_value")).toBe(false)
    // The exporter's own queries are instrumented like every other statement.
    expect(
      histogramOf(families, "coderops_db_query_latencies_seconds", { query: "Collect_fine" })
        ?.count,
    ).toBe(1)
  })

  it("refreshes at most once per interval, however often it is scraped", async () => {
    const counts = await withExporter(empty.url, [one("counted")], async (base) => {
      await Promise.all([scrape(base), scrape(base), scrape(base)])
      const families = await scrape(base)
      return sampleValue(families, "coderops_db_queries_total", {
        query: "Collect_counted",
        outcome: "ok",
      })
    })
    expect(counts).toBe(1)
  })

  it("abandons a collector that exceeds the timeout", async () => {
    const slow: Collector = {
      name: "slow",
      collect: Effect.asVoid(Db.use((db) => db.query("Sleep", "SELECT pg_sleep(3)"))),
    }
    const started = Date.now()
    const families = await withExporter(empty.url, [slow], scrape, {
      minRefresh: "0 millis",
      timeout: "200 millis",
    })
    expect(Date.now() - started).toBeLessThan(2500)
    expect(sampleValue(families, "coderops_exporter_errors_total", { collector: "slow" })).toBe(1)
  })
})

/** Milliseconds `body` took, and its result. */
const timed = async <A>(body: () => Promise<A>) => {
  const started = Date.now()
  const result = await body()
  return { ms: Date.now() - started, result }
}

const locked = useTestDatabase()

describe("one deadline per scrape", () => {
  it("answers within --scrape-timeout while a table the collectors read is locked, over 2 connections", async () => {
    await sql(
      locked.url,
      "CREATE TABLE api_keys (id text PRIMARY KEY); INSERT INTO api_keys VALUES ('a')",
    )
    // Two that read the table a migration locks, between two that do not.
    const collectors = [
      one("before"),
      statementCollector("table_sizes", "SELECT pg_total_relation_size('api_keys')::int AS n"),
      statementCollector("api_keys_expired", "SELECT count(*)::int AS n FROM api_keys"),
      one("connections"),
    ]
    const holder = new pg.Client({ connectionString: locked.url })
    await holder.connect()
    try {
      const [before, during, again, waiting] = await withExporter(
        locked.url,
        collectors,
        async (base) => {
          const before = await scrape(base)
          // What a migration rewriting api_keys holds until it commits.
          await holder.query("BEGIN; LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
          const during = await timed(() => scrape(base))
          // The connections of the abandoned collectors are not stuck: the next scrape too.
          const again = await timed(() => scrape(base))
          const waiting = await sql<{ n: number }>(
            locked.url,
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          )
          return [before, during, again, waiting[0]!.n] as const
        },
        { minRefresh: "0 millis", timeout: "1 second" },
        2,
      )
      expect(sampleValue(before, "test_api_keys_expired_value")).toBe(1)
      expect(
        sampleValue(before, "coderops_exporter_collector_up", { collector: "table_sizes" }),
      ).toBe(1)
      for (const { ms, result } of [during, again]) {
        expect(ms).toBeLessThan(1500)
        for (const collector of ["table_sizes", "api_keys_expired"]) {
          expect(sampleValue(result, "coderops_exporter_collector_up", { collector })).toBe(0)
        }
        // Their gauges are dropped, not left at the values of the scrape before.
        expect(sampleValue(result, "test_api_keys_expired_value")).toBeUndefined()
        expect(sampleValue(result, "test_table_sizes_value")).toBeUndefined()
        // The collectors that do not need the table still report.
        expect(
          sampleValue(result, "coderops_exporter_collector_up", { collector: "connections" }),
        ).toBe(1)
        expect(sampleValue(result, "test_connections_value")).toBe(1)
      }
      expect(
        sampleValue(again.result, "coderops_exporter_errors_total", {
          collector: "api_keys_expired",
        }),
      ).toBe(2)
      // Nothing of the exporter still waits for the lock.
      expect(waiting).toBe(0)
    } finally {
      await holder.end()
    }
  })

  it("answers within the deadline when the server accepts connections and never answers", async () => {
    const sockets = new Set<Socket>()
    const silent = createServer((socket) => {
      sockets.add(socket)
      socket.on("error", () => {})
    })
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
    const port = (silent.address() as AddressInfo).port
    try {
      const { ms, result } = await timed(() =>
        withExporter(
          `postgres://coder:secret@127.0.0.1:${port}/coder?connect_timeout=2`,
          ["schema_migrations", "table_sizes", "api_keys_expired", "connections"].map(one),
          (base) => timed(() => scrape(base)),
          { minRefresh: "0 millis", timeout: "1 second" },
          2,
        ),
      )
      expect(result.ms).toBeLessThan(1500)
      for (const collector of [
        "schema_migrations",
        "table_sizes",
        "api_keys_expired",
        "connections",
      ]) {
        expect(sampleValue(result.result, "coderops_exporter_collector_up", { collector })).toBe(0)
        expect(sampleValue(result.result, "coderops_exporter_errors_total", { collector })).toBe(1)
      }
      // Two collectors waited on a connection until the deadline; two never got one.
      const durations = ["schema_migrations", "table_sizes"].map((collector) =>
        sampleValue(result.result, "coderops_exporter_collector_duration_seconds", { collector }),
      )
      for (const seconds of durations) expect(seconds).toBeGreaterThanOrEqual(0.9)
      // Shutting down waits only for the abandoned connection attempts (connect_timeout).
      expect(ms).toBeLessThan(5000)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it("updates the duration and errors of a collector that misses the deadline, drops its gauges and ignores its late writes", async () => {
    let calls = 0
    const flaky: Collector = {
      name: "flaky",
      collect: Effect.gen(function* () {
        const metrics = yield* Metrics
        calls += 1
        const call = calls
        // Cannot be interrupted: it runs on past the deadline and writes then.
        if (call > 1) yield* Effect.uninterruptible(Effect.sleep("600 millis"))
        metrics.gauge({ name: "test_flaky_value", help: "The call that wrote it." }).set({}, call)
      }),
    }
    const [first, second, late, ms] = await run(
      empty.url,
      Effect.gen(function* () {
        const exporter = yield* makeExporter([flaky], {
          minRefresh: "0 millis",
          timeout: "200 millis",
        })
        yield* exporter.refresh
        const first = parseExposition(
          yield* Metrics.use((metrics) => Effect.promise(metrics.exposition)),
        )
        const started = Date.now()
        yield* exporter.refresh
        const ms = Date.now() - started
        const second = parseExposition(
          yield* Metrics.use((metrics) => Effect.promise(metrics.exposition)),
        )
        yield* Effect.sleep("800 millis")
        const late = parseExposition(
          yield* Metrics.use((metrics) => Effect.promise(metrics.exposition)),
        )
        return [first, second, late, ms] as const
      }),
    )
    expect(sampleValue(first, "test_flaky_value")).toBe(1)
    expect(sampleValue(first, "coderops_exporter_collector_up", { collector: "flaky" })).toBe(1)
    expect(ms).toBeLessThan(500)
    expect(sampleValue(second, "test_flaky_value")).toBeUndefined()
    expect(sampleValue(second, "coderops_exporter_collector_up", { collector: "flaky" })).toBe(0)
    expect(sampleValue(second, "coderops_exporter_errors_total", { collector: "flaky" })).toBe(1)
    const seconds = sampleValue(second, "coderops_exporter_collector_duration_seconds", {
      collector: "flaky",
    })!
    expect(seconds).toBeGreaterThanOrEqual(0.15)
    expect(seconds).toBeLessThan(0.5)
    // The write it made after it was abandoned never shows as a fresh value.
    expect(sampleValue(late, "test_flaky_value")).toBeUndefined()
  })
})

describe("serveExporter", () => {
  it("serves the collectors and names its URL, an IPv6 host in brackets", async () => {
    expect(formatListenAddress({ host: "::1", port: 9464 })).toBe("[::1]:9464")
    expect(formatListenAddress({ host: "127.0.0.1", port: 9464 })).toBe("127.0.0.1:9464")
    const { url, listen, families } = await run(
      empty.url,
      Effect.scoped(
        Effect.gen(function* () {
          const served = yield* serveExporter({ host: "::1", port: 0 }, [one("served")])
          const families = yield* Effect.promise(async () =>
            parseExposition(await (await fetch(served.url)).text()),
          )
          return { url: served.url, listen: served.listen, families }
        }),
      ),
    )
    expect(url).toMatch(/^http:\/\/\[::1\]:\d+\/metrics$/)
    expect(url).toBe(`http://${listen}/metrics`)
    expect(sampleValue(families, "test_served_value")).toBe(1)
  })
})

/**
 * A TCP relay to the test server that can be cut (the listener closed, every connection
 * dropped, as when the server stops) and restored on the same port.
 */
const relayTo = async (host: string, port: number) => {
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on("error", () => {})
    socket.on("close", () => sockets.delete(socket))
  }
  const listen = (at: number) => {
    const server = createServer((client) => {
      const upstream = connect({ host, port })
      track(client)
      track(upstream)
      client.pipe(upstream).pipe(client)
      const end = () => {
        client.destroy()
        upstream.destroy()
      }
      client.on("close", end)
      upstream.on("close", end)
    })
    return new Promise<Server>((resolve) => server.listen(at, "127.0.0.1", () => resolve(server)))
  }
  let server: Server | undefined = await listen(0)
  const relayPort = (server.address() as AddressInfo).port
  return {
    port: relayPort,
    cut: async () => {
      const closing = server
      server = undefined
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => closing?.close(resolve))
    },
    restore: async () => {
      server = await listen(relayPort)
    },
  }
}

describe("exporter health", () => {
  it("coderops_exporter_database_up and /readyz follow whether a refresh reached the database; /healthz stays ok", async () => {
    const target = new URL(empty.url)
    const relay = await relayTo(target.hostname, Number(target.port))
    const url = new URL(empty.url)
    url.port = String(relay.port)
    try {
      const probes = await withExporter(
        url.toString(),
        // A collector that fails on a missing table still reached the database.
        [statementCollector("missing", "SELECT count(*)::int AS n FROM no_such_table"), one("a")],
        async (base) => {
          const probe = async () => {
            const ready = await fetch(`${base}/readyz`)
            const text = await ready.text()
            const families = await scrape(base)
            const healthz = (await fetch(`${base}/healthz`)).status
            return {
              status: ready.status,
              text,
              healthz,
              up: sampleValue(families, "coderops_exporter_database_up"),
              collectorUp: sampleValue(families, "coderops_exporter_collector_up", {
                collector: "a",
              }),
            }
          }
          const before = await probe()
          await relay.cut()
          const down = await probe()
          await relay.restore()
          const back = await probe()
          return { before, down, back }
        },
        { minRefresh: "0 millis", timeout: "3 seconds" },
        2,
      )
      expect(probes.before).toMatchObject({ status: 200, healthz: 200, up: 1, collectorUp: 1 })
      expect(probes.before.text).toMatch(/^ready: the database was reached at \S+Z\n$/)
      expect(probes.down).toMatchObject({ status: 503, healthz: 200, up: 0, collectorUp: 0 })
      expect(probes.down.text).toMatch(/^not ready: the database could not be reached at \S+Z: /)
      expect(probes.down.text).toContain(`127.0.0.1:${relay.port}`)
      expect(probes.down.text).not.toContain(url.password)
      expect(probes.back).toMatchObject({ status: 200, healthz: 200, up: 1, collectorUp: 1 })
    } finally {
      await relay.cut()
    }
  })

  it("without a readiness check /readyz answers ok", async () => {
    const status = await run(
      empty.url,
      Effect.scoped(
        Effect.gen(function* () {
          const bound = yield* serveMetrics({ host: "localhost", port: 0 }, Effect.void)
          // The address the system bound, not the name it was given.
          expect(bound.host).toMatch(/^(127\.0\.0\.1|::1)$/)
          return yield* Effect.promise(async () => {
            const response = await fetch(`http://${formatListenAddress(bound)}/readyz`)
            return [response.status, await response.text()] as const
          })
        }),
      ),
    )
    expect(status).toEqual([200, "ready: ok\n"])
  })
})
