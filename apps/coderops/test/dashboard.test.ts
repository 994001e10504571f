import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Db, parseDatabaseUrl } from "@coderops/db-core"
import { useTestDatabase } from "@coderops/test-postgres"
import { parseExposition } from "@coderops/test-prometheus"
import { parser } from "@prometheus-io/lezer-promql"
import * as Effect from "effect/Effect"
import { afterAll, describe, expect, it } from "vitest"
import { coderops, startExporter } from "./cli.js"

const database = useTestDatabase()
const dir = await mkdtemp(join(tmpdir(), "coderops-dashboard-"))
afterAll(() => rm(dir, { recursive: true, force: true }))

interface Panel {
  readonly id: number
  readonly type: string
  readonly title: string
  readonly datasource?: { readonly uid: string }
  readonly targets?: ReadonlyArray<{ readonly expr: string }>
}

const dashboardPath = createRequire(import.meta.url).resolve(
  "@coderops/metrics/dashboards/coderops.json",
)

/** Grafana interpolates its variables before a query reaches Prometheus; so does the test. */
const interpolate = (expr: string) =>
  expr
    .replaceAll("$__rate_interval", "5m")
    .replaceAll("$__interval", "1m")
    .replaceAll("$instance", ".*")

/** The metric names a PromQL expression selects, read with Prometheus' own PromQL grammar. */
const metricNamesOf = (template: string): Array<string> => {
  const expr = interpolate(template)
  const names: Array<string> = []
  const errors: Array<number> = []
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from)
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
        names.push(expr.slice(node.from, node.to))
      }
    },
  })
  if (errors.length > 0) throw new Error(`PromQL does not parse at ${errors[0]}: ${expr}`)
  return names
}

/** Every sample and family name in an exposition. */
const namesIn = (text: string) => {
  const names = new Set<string>()
  for (const family of parseExposition(text).values()) {
    names.add(family.name)
    for (const sample of family.samples) names.add(sample.name)
  }
  return names
}

describe("the Grafana dashboard", () => {
  it("queries only metrics that coderops emits", async () => {
    // A Coder database as coderops leaves it: migrated, with one organization with prebuilds.
    const migrateFile = join(dir, "migrate.prom")
    const migrate = await coderops([
      "migrate",
      "up",
      "--metrics-file",
      migrateFile,
      "--database-url",
      database.url,
    ])
    expect(migrate.code).toBe(0)
    const settings = await Effect.runPromise(parseDatabaseUrl(database.url, "explicit"))
    await Effect.runPromise(
      Effect.provide(
        Db.use((db) =>
          db.script(
            "SeedPrebuilds",
            `INSERT INTO users (id, email, username, created_at, updated_at, hashed_password) VALUES ('11111111-1111-4111-8111-111111111111', 'o@example.com', 'o', now(), now(), '');
             INSERT INTO organizations (id, name, display_name, created_at, updated_at, description) VALUES ('22222222-2222-4222-8222-000000000001', 'org', 'Org', now(), now(), '');
             INSERT INTO templates (id, created_at, updated_at, organization_id, name, active_version_id, created_by, provisioner)
               VALUES ('33333333-3333-4333-8333-000000000001', now(), now(), '22222222-2222-4222-8222-000000000001', 'tpl', '44444444-4444-4444-8444-000000000001', '11111111-1111-4111-8111-111111111111', 'terraform');
             INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, job_id, created_by, readme)
               VALUES ('44444444-4444-4444-8444-000000000001', '33333333-3333-4333-8333-000000000001', '22222222-2222-4222-8222-000000000001', now(), now(), 'v1', gen_random_uuid(), '11111111-1111-4111-8111-111111111111', '');
             INSERT INTO template_version_presets (template_version_id, name, desired_instances) VALUES ('44444444-4444-4444-8444-000000000001', 'small', 1);`,
          ),
        ),
        Db.layerFrom(settings),
      ),
    )
    const reconcileFile = join(dir, "reconcile.prom")
    const reconcile = await coderops([
      "prebuilds",
      "reconcile",
      "--metrics-file",
      reconcileFile,
      "--database-url",
      database.url,
    ])
    expect(reconcile.code).toBe(0)
    const emitted = new Set<string>()
    const exporter = await startExporter(database.url)
    try {
      for (const name of namesIn(await (await fetch(`${exporter.url}/metrics`)).text()))
        emitted.add(name)
    } finally {
      await exporter.stop()
    }
    const purgeFile = join(dir, "purge.prom")
    const purge = await coderops([
      "db",
      "purge",
      "api-keys",
      "--metrics-file",
      purgeFile,
      "--database-url",
      database.url,
    ])
    expect(purge.code).toBe(0)
    for (const file of [purgeFile, migrateFile, reconcileFile]) {
      for (const name of namesIn(await readFile(file, "utf8"))) emitted.add(name)
    }

    const dashboard = JSON.parse(await readFile(dashboardPath, "utf8")) as { panels: Array<Panel> }
    const panels = dashboard.panels.filter((panel) => panel.type !== "row")
    expect(panels.length).toBeGreaterThanOrEqual(15)
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length)
    const missing: Array<string> = []
    for (const panel of panels) {
      // Grafana data-source variable, literally "${datasource}".
      expect(panel.datasource?.uid, panel.title).toBe(["$", "{datasource}"].join(""))
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
      for (const target of panel.targets ?? []) {
        const names = metricNamesOf(target.expr)
        expect(names.length, `${panel.title}: ${target.expr}`).toBeGreaterThan(0)
        for (const name of names) if (!emitted.has(name)) missing.push(`${panel.title}: ${name}`)
      }
    }
    expect(missing).toEqual([])
  })
})
