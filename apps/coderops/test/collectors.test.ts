// The collectors of `metrics serve`, each from the package that owns its subject, read
// through the exporter as it runs them.
import { expiredApiKeysCollector } from "@coderops/dbpurge"
import { connectionsCollector, tableSizesCollector } from "@coderops/inspect"
import { type Collector, Metrics, makeExporter } from "@coderops/metrics"
import { migrationStateCollector } from "@coderops/migrations"
import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import { histogramOf, parseExposition, sampleValue } from "@coderops/test-prometheus"
import * as Effect from "effect/Effect"
import pg from "pg"
import { describe, expect, it } from "vitest"

const coder = useTestDatabase()
const empty = useTestDatabase()

const collectors: ReadonlyArray<Collector> = [
  migrationStateCollector,
  tableSizesCollector(),
  expiredApiKeysCollector,
  connectionsCollector,
]

/** One refresh of the collectors, and the exposition after it. */
const refreshOnce = (url: string) =>
  run(
    url,
    Effect.gen(function* () {
      const exporter = yield* makeExporter(collectors)
      yield* exporter.refresh
      return parseExposition(yield* Metrics.use((metrics) => Effect.promise(metrics.exposition)))
    }),
  )

describe("the exporter's collectors against a Coder database", () => {
  it("report migration state, table sizes, expired keys and connections", async () => {
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
      const families = await refreshOnce(coder.url)
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
      expect(
        histogramOf(families, "coderops_db_query_latencies_seconds", {
          query: "EstimateExpiredApiKeys",
        })?.count,
      ).toBe(1)
    } finally {
      await holder.end()
    }
  })

  it("fail where their tables are missing; the server-level ones still report", async () => {
    const families = await refreshOnce(empty.url)
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
})
