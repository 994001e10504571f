import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Db, parseDatabaseUrl } from "@coderops/db-core"
import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import { useTestDatabase } from "@coderops/test-postgres"
import { histogramOf, parseExposition, sampleValue } from "@coderops/test-prometheus"
import * as Effect from "effect/Effect"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { coderops, startExporter } from "./cli.js"

const database = useTestDatabase()
const locked = useTestDatabase()
const dir = await mkdtemp(join(tmpdir(), "coderops-metrics-cli-"))
afterAll(() => rm(dir, { recursive: true, force: true }))

const prepare = Effect.gen(function* () {
  const db = yield* Db
  yield* applyCoderSchemaForTests()
  yield* db.script(
    "SeedPrebuilds",
    `INSERT INTO users (id, email, username, created_at, updated_at, hashed_password)
       VALUES ('11111111-1111-4111-8111-111111111111', 'owner@example.com', 'owner', now(), now(), '');
     INSERT INTO organizations (id, name, display_name, created_at, updated_at, description) VALUES
       ('22222222-2222-4222-8222-000000000001', 'with-prebuilds', 'With', now(), now(), ''),
       ('22222222-2222-4222-8222-000000000002', 'member-already', 'Member', now(), now(), ''),
       ('22222222-2222-4222-8222-000000000003', 'no-prebuilds', 'None', now(), now(), '');
     INSERT INTO organization_members (user_id, organization_id, created_at, updated_at)
       VALUES ('c42fdf75-3097-471c-8c33-fb52454d81c0', '22222222-2222-4222-8222-000000000002', now(), now());
     INSERT INTO templates (id, created_at, updated_at, organization_id, name, active_version_id, created_by, provisioner)
       SELECT ('33333333-3333-4333-8333-00000000000' || n)::uuid, now(), now(),
              ('22222222-2222-4222-8222-00000000000' || n)::uuid, 't' || n, gen_random_uuid(),
              '11111111-1111-4111-8111-111111111111', 'terraform'
         FROM generate_series(1, 3) n;
     INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, job_id, created_by, readme)
       SELECT ('44444444-4444-4444-8444-00000000000' || n)::uuid, ('33333333-3333-4333-8333-00000000000' || n)::uuid,
              ('22222222-2222-4222-8222-00000000000' || n)::uuid, now(), now(), 'v1', gen_random_uuid(),
              '11111111-1111-4111-8111-111111111111', ''
         FROM generate_series(1, 3) n;
     INSERT INTO template_version_presets (template_version_id, name, desired_instances) VALUES
       ('44444444-4444-4444-8444-000000000001', 'small', 2),
       ('44444444-4444-4444-8444-000000000002', 'zero', 0),
       ('44444444-4444-4444-8444-000000000003', 'none', NULL);`,
  )
})

describe("coderops metrics serve", () => {
  it("serves database gauges and prebuilds health, and stops cleanly on SIGTERM", async () => {
    const settings = await Effect.runPromise(parseDatabaseUrl(database.url, "explicit"))
    await Effect.runPromise(Effect.provide(prepare, Db.layerFrom(settings)))

    const exporter = await startExporter(database.url, ["--min-refresh", "0s"])
    const body = await (await fetch(`${exporter.url}/metrics`)).text()
    const families = parseExposition(body)
    expect(sampleValue(families, "coderops_prebuilds_organizations")).toBe(2)
    expect(
      sampleValue(families, "coderops_prebuilds_organizations_missing", { missing: "membership" }),
    ).toBe(1)
    expect(
      sampleValue(families, "coderops_prebuilds_organizations_missing", { missing: "group" }),
    ).toBe(2)
    expect(
      sampleValue(families, "coderops_prebuilds_organizations_missing", {
        missing: "group_membership",
      }),
    ).toBe(2)
    expect(sampleValue(families, "coderops_schema_migrations_version")).toBeUndefined()
    expect(
      sampleValue(families, "coderops_exporter_errors_total", { collector: "schema_migrations" }),
    ).toBe(1)
    expect(
      sampleValue(families, "coderops_exporter_errors_total", {
        collector: "prebuilds_membership",
      }),
    ).toBe(0)
    expect(sampleValue(families, "coderops_table_rows_estimate", { table: "api_keys" })).toBe(0)
    expect(families.get("nodejs_eventloop_lag_seconds")?.type).toBe("gauge")
    expect(exporter.stderr()).toMatch(
      /collector schema_migrations skipped: database "\w+" at \S+ has no table schema_migrations/,
    )
    expect(await exporter.stop()).toBe(0)
    expect(exporter.stderr()).toContain("stopped")
  })

  it("words a collector's connection failure as db-core does: which target, which code", async () => {
    const exporter = await startExporter("postgres://coder:pw@127.0.0.1:1/coder", [
      "--min-refresh",
      "0s",
    ])
    try {
      await fetch(`${exporter.url}/metrics`)
      expect(exporter.stderr()).toContain(
        "collector schema_migrations skipped: cannot connect to coder@127.0.0.1:1/coder (ECONNREFUSED",
      )
    } finally {
      expect(await exporter.stop()).toBe(0)
    }
  })

  it("answers within --scrape-timeout while api_keys is locked, without the gauges it could not read", async () => {
    const settings = await Effect.runPromise(parseDatabaseUrl(locked.url, "explicit"))
    await Effect.runPromise(Effect.provide(applyCoderSchemaForTests(), Db.layerFrom(settings)))
    const holder = new pg.Client({ connectionString: locked.url })
    await holder.connect()
    const exporter = await startExporter(locked.url, [
      "--min-refresh",
      "0s",
      "--scrape-timeout",
      "1s",
    ])
    try {
      // What a migration rewriting api_keys holds until it commits (Coder's 000371).
      await holder.query("BEGIN; LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
      for (let scrape = 1; scrape <= 2; scrape++) {
        const started = Date.now()
        const families = parseExposition(await (await fetch(`${exporter.url}/metrics`)).text())
        expect(Date.now() - started).toBeLessThan(1500)
        for (const collector of ["table_sizes", "api_keys_expired"]) {
          expect(sampleValue(families, "coderops_exporter_collector_up", { collector })).toBe(0)
          expect(sampleValue(families, "coderops_exporter_errors_total", { collector })).toBe(
            scrape,
          )
        }
        expect(sampleValue(families, "coderops_api_keys_expired_7d_estimate")).toBeUndefined()
        // Two connections: the blocked collectors give them up for the others.
        for (const collector of ["connections", "prebuilds_membership"]) {
          expect(sampleValue(families, "coderops_exporter_collector_up", { collector })).toBe(1)
        }
      }
    } finally {
      await holder.end()
      expect(await exporter.stop()).toBe(0)
    }
  })

  it("refuses a bad --metrics-addr with exit 3", async () => {
    const result = await coderops([
      "metrics",
      "serve",
      "--metrics-addr",
      "localhost",
      "--database-url",
      database.url,
    ])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('--metrics-addr "localhost" is not HOST:PORT')
  })
})

describe("--metrics-file", () => {
  it("writes the run's metrics in textfile-collector format, also when the command fails", async () => {
    const path = join(dir, "db-info.prom")
    const ok = await coderops([
      "db",
      "info",
      "--json",
      "--metrics-file",
      path,
      "--database-url",
      database.url,
    ])
    expect(ok.code).toBe(0)
    const families = parseExposition(await readFile(path, "utf8"))
    expect(
      histogramOf(families, "coderops_db_query_latencies_seconds", { query: "GetServerVersion" })
        ?.count,
    ).toBe(1)
    expect(
      sampleValue(families, "coderops_db_queries_total", {
        query: "ListLargestTables",
        outcome: "ok",
      }),
    ).toBe(1)

    const failedPath = join(dir, "failed.prom")
    const failed = await coderops([
      "db",
      "info",
      "--metrics-file",
      failedPath,
      "--database-url",
      `${database.url}_missing`,
    ])
    expect(failed.code).toBe(6)
    // An unwritable path is found before any work: one JSON error, exit 3.
    const unwritable = await coderops([
      "db",
      "info",
      "--json",
      "--metrics-file",
      "/nonexistent/coderops.prom",
      "--database-url",
      database.url,
    ])
    expect(unwritable.code).toBe(3)
    expect(JSON.parse(unwritable.stdout)).toMatchObject({
      error: { exitCode: 3, message: expect.stringContaining("/nonexistent") },
    })
    expect(unwritable.stderr).toBe("")
    const afterFailure = parseExposition(await readFile(failedPath, "utf8"))
    expect(
      sampleValue(afterFailure, "coderops_db_queries_total", {
        query: "GetServerVersion",
        outcome: "error",
      }),
    ).toBe(1)
  })
})
