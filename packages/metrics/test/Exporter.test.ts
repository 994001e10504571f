import { applyCoderSchemaForTests } from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import { histogramOf, parseExposition, sampleValue } from "@coderops/test-prometheus"
import * as Effect from "effect/Effect"
import pg from "pg"
import { describe, expect, it } from "vitest"
import {
  type Collector,
  databaseCollectors,
  type ExporterOptions,
  makeExporter,
  serveMetrics,
} from "../src/index.js"
import { run } from "./support.js"

const coder = useTestDatabase()
const empty = useTestDatabase()

/** Starts the exporter on a free port, runs `scrapes` against it, then shuts it down. */
const withExporter = <A>(
  url: string,
  collectors: ReadonlyArray<Collector>,
  scrapes: (base: string) => Promise<A>,
  options: ExporterOptions = { minRefresh: "15 seconds", timeout: "5 seconds" },
) =>
  run(
    url,
    Effect.scoped(
      Effect.gen(function* () {
        const exporter = yield* makeExporter(collectors, options)
        const bound = yield* serveMetrics({ host: "127.0.0.1", port: 0 }, exporter.refresh)
        return yield* Effect.promise(() => scrapes(`http://127.0.0.1:${bound.port}`))
      }),
    ),
  )

const scrape = async (base: string) => {
  const response = await fetch(`${base}/metrics`)
  expect(response.status).toBe(200)
  expect(response.headers.get("content-type")).toContain("text/plain")
  return parseExposition(await response.text())
}

describe("metrics exporter against a Coder database", () => {
  it("reports migration state, table sizes, expired keys and connections", async () => {
    await run(coder.url, applyCoderSchemaForTests())
    await sql(
      coder.url,
      `CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);
       INSERT INTO schema_migrations VALUES (371, false);
       INSERT INTO users (id, email, username, created_at, updated_at, hashed_password)
         VALUES ('11111111-1111-4111-8111-111111111111', 'a@example.com', 'a', now(), now(), '');
       INSERT INTO api_keys (id, hashed_secret, user_id, last_used, expires_at, created_at, updated_at, login_type, scopes, allow_list)
         SELECT 'key' || g, '\\x00', '11111111-1111-4111-8111-111111111111', now(),
                CASE WHEN g % 4 = 0 THEN now() - interval '30 days' ELSE now() + interval '1 day' END,
                now(), now(), 'password', '{all}', '{}'
           FROM generate_series(1, 4000) g;
       ANALYZE api_keys;`,
    )
    const holder = new pg.Client({ connectionString: coder.url })
    await holder.connect()
    await holder.query("BEGIN; SELECT 1")
    await new Promise((resolve) => setTimeout(resolve, 1100))
    try {
      const families = await withExporter(coder.url, databaseCollectors(), scrape)
      expect(sampleValue(families, "coderops_schema_migrations_version")).toBe(371)
      expect(sampleValue(families, "coderops_schema_migrations_dirty")).toBe(0)
      expect(families.get("coderops_table_rows_estimate")?.type).toBe("gauge")
      expect(sampleValue(families, "coderops_table_rows_estimate", { table: "api_keys" })).toBe(
        4000,
      )
      expect(
        sampleValue(families, "coderops_table_size_bytes", { table: "api_keys" }),
      ).toBeGreaterThan(100_000)
      const expired = sampleValue(families, "coderops_api_keys_expired_7d_estimate")!
      expect(expired).toBeGreaterThan(700)
      expect(expired).toBeLessThan(1300)
      expect(
        sampleValue(families, "coderops_pg_connections", { state: "idle in transaction" }),
      ).toBeGreaterThanOrEqual(1)
      expect(
        sampleValue(families, "coderops_pg_connections", { state: "active" }),
      ).toBeGreaterThanOrEqual(1)
      expect(
        sampleValue(families, "coderops_pg_oldest_transaction_age_seconds"),
      ).toBeGreaterThanOrEqual(1)
      for (const name of ["schema_migrations", "table_sizes", "api_keys_expired", "connections"]) {
        expect(sampleValue(families, "coderops_exporter_errors_total", { collector: name })).toBe(0)
      }
      // The exporter's own queries are instrumented like every other statement.
      expect(
        histogramOf(families, "coderops_db_query_latencies_seconds", {
          query: "EstimateExpiredApiKeys",
        })?.count,
      ).toBe(1)
    } finally {
      await holder.end()
    }
  })

  it("skips a collector that cannot read, counts it, and keeps serving", async () => {
    const families = await withExporter(empty.url, databaseCollectors(), async (base) => {
      const first = await scrape(base)
      expect((await fetch(`${base}/healthz`)).status).toBe(200)
      expect((await fetch(`${base}/nope`)).status).toBe(404)
      return first
    })
    expect(
      sampleValue(families, "coderops_exporter_errors_total", { collector: "schema_migrations" }),
    ).toBe(1)
    expect(
      sampleValue(families, "coderops_exporter_errors_total", { collector: "api_keys_expired" }),
    ).toBe(1)
    expect(
      sampleValue(families, "coderops_exporter_errors_total", { collector: "connections" }),
    ).toBe(0)
    expect(
      sampleValue(families, "coderops_pg_connections", { state: "active" }),
    ).toBeGreaterThanOrEqual(1)
    expect(families.has("coderops_schema_migrations_version")).toBe(false)
  })

  it("refreshes at most once per interval, however often it is scraped", async () => {
    const counts = await withExporter(empty.url, databaseCollectors(), async (base) => {
      await Promise.all([scrape(base), scrape(base), scrape(base)])
      const families = await scrape(base)
      return sampleValue(families, "coderops_db_queries_total", {
        query: "GetConnectionStates",
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
