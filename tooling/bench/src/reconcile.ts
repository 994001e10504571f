// Prebuilds membership reconciliation on a synthetic deployment of 1,000 organizations ×
// 100 presets: coderops' per-organization reconciler against the legacy per-preset
// strategy (written here only, as the baseline: a group lookup and inserts for every
// preset on every loop). Queries per pass are counted through db-core's query hook.
import {
  prebuildsGroupDisplayName,
  prebuildsGroupName,
  prebuildsUserId,
} from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { instrumentedDatabase, type Metrics } from "@coderops/metrics"
import { reconcileAll } from "@coderops/prebuilds-reconcile"
import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import * as Effect from "effect/Effect"
import { machine, median, withBenchServer } from "./harness.js"

const organizations = Number(process.env.BENCH_ORGS ?? 1000)
const presetsPerOrg = Number(process.env.BENCH_PRESETS ?? 100)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)

const seed = Effect.gen(function* () {
  const db = yield* Db
  yield* applyCoderSchemaForTests()
  yield* db.script(
    "SeedDeployment",
    `INSERT INTO users (id, email, username, created_at, updated_at, hashed_password)
       VALUES ('11111111-1111-4111-8111-111111111111', 'owner@example.com', 'owner', now(), now(), '');
     INSERT INTO organizations (id, name, display_name, created_at, updated_at, description)
       SELECT md5('org' || g)::uuid, 'org-' || g, 'Org ' || g, now(), now(), '' FROM generate_series(1, ${organizations}) g;
     INSERT INTO templates (id, created_at, updated_at, organization_id, name, active_version_id, created_by, provisioner)
       SELECT md5('tpl' || g)::uuid, now(), now(), md5('org' || g)::uuid, 'template', md5('ver' || g)::uuid,
              '11111111-1111-4111-8111-111111111111', 'terraform' FROM generate_series(1, ${organizations}) g;
     INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, job_id, created_by, readme)
       SELECT md5('ver' || g)::uuid, md5('tpl' || g)::uuid, md5('org' || g)::uuid, now(), now(), 'v1',
              md5('job' || g)::uuid, '11111111-1111-4111-8111-111111111111', '' FROM generate_series(1, ${organizations}) g;
     INSERT INTO template_version_presets (template_version_id, name, desired_instances)
       SELECT md5('ver' || g)::uuid, 'preset-' || p, p % 4 FROM generate_series(1, ${organizations}) g, generate_series(1, ${presetsPerOrg}) p;
     ANALYZE;`,
  )
})

const reset = Db.use((db) =>
  db.script(
    "ResetMemberships",
    `DELETE FROM group_members; DELETE FROM groups WHERE name = '${prebuildsGroupName}'; DELETE FROM organization_members;`,
  ),
)

/** The legacy strategy: for every preset, look the group up and insert what is missing. */
const legacyPass = Effect.gen(function* () {
  const db = yield* Db
  const presets = yield* db.query<{ organization_id: string }>(
    "LegacyListPresets",
    `SELECT t.organization_id FROM template_version_presets p
       JOIN template_versions tv ON tv.id = p.template_version_id JOIN templates t ON t.id = tv.template_id
      WHERE p.desired_instances IS NOT NULL`,
  )
  for (const preset of presets) {
    yield* db.execute(
      "LegacyInsertMembership",
      `INSERT INTO organization_members (user_id, organization_id, created_at, updated_at, roles)
       VALUES ($1, $2, now(), now(), '{}') ON CONFLICT DO NOTHING`,
      [prebuildsUserId, preset.organization_id],
    )
    let [group] = yield* db.query<{ id: string }>(
      "LegacyGetGroup",
      "SELECT id FROM groups WHERE organization_id = $1 AND name = $2",
      [preset.organization_id, prebuildsGroupName],
    )
    if (group === undefined) {
      ;[group] = yield* db.query<{ id: string }>(
        "LegacyInsertGroup",
        `INSERT INTO groups (id, name, organization_id, display_name, quota_allowance)
         VALUES (gen_random_uuid(), $1, $2, $3, 0) RETURNING id`,
        [prebuildsGroupName, preset.organization_id, prebuildsGroupDisplayName],
      )
    }
    yield* db.execute(
      "LegacyInsertGroupMember",
      "INSERT INTO group_members (user_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      [prebuildsUserId, group!.id],
    )
  }
})

/** Wall time and statements of one pass. */
const measure = <A, E>(pass: Effect.Effect<A, E, Db | Metrics>) =>
  Effect.gen(function* () {
    const db = yield* Db
    let queries = 0
    const remove = db.addObserver({ onQuery: () => void queries++ })
    const started = performance.now()
    yield* pass
    const seconds = (performance.now() - started) / 1000
    remove()
    return { seconds, queries }
  })

await withBenchServer(async ({ url }) => {
  const { Client } = (await import("pg")).default
  const admin = new Client({ connectionString: url })
  await admin.connect()
  await admin.query("CREATE DATABASE reconcile_bench")
  await admin.end()
  const target = new URL(url)
  target.pathname = "/reconcile_bench"
  const layer = instrumentedDatabase(target.toString())
  const results = await Effect.runPromise(
    Effect.provide(
      Effect.gen(function* () {
        yield* seed
        const samples = {
          coldNew: [] as Array<number>,
          steadyNew: [] as Array<number>,
          coldLegacy: [] as Array<number>,
          steadyLegacy: [] as Array<number>,
        }
        const queries = { coldNew: 0, steadyNew: 0, coldLegacy: 0, steadyLegacy: 0 }
        // Alternate the two strategies round by round; the legacy one is slow, so it gets fewer rounds.
        for (let round = 0; round < rounds; round++) {
          yield* reset
          const cold = yield* measure(reconcileAll())
          const steady = yield* measure(reconcileAll())
          samples.coldNew.push(cold.seconds)
          samples.steadyNew.push(steady.seconds)
          queries.coldNew = cold.queries
          queries.steadyNew = steady.queries
          if (round < 2) {
            yield* reset
            const legacyCold = yield* measure(legacyPass)
            const legacySteady = yield* measure(legacyPass)
            samples.coldLegacy.push(legacyCold.seconds)
            samples.steadyLegacy.push(legacySteady.seconds)
            queries.coldLegacy = legacyCold.queries
            queries.steadyLegacy = legacySteady.queries
          }
        }
        return { samples, queries }
      }),
      layer,
    ),
  )
  const { samples, queries } = results
  console.log(
    `machine: ${machine()}; ${organizations} organizations × ${presetsPerOrg} presets; per-organization: ${rounds} rounds, per-preset: 2 rounds, alternating; medians`,
  )
  console.log("| pass | strategy | queries | wall time |\n|---|---|---|---|")
  console.log(
    `| cold | per-organization (coderops) | ${queries.coldNew} | ${median(samples.coldNew).toFixed(3)} s |`,
  )
  console.log(
    `| cold | per-preset (legacy) | ${queries.coldLegacy} | ${median(samples.coldLegacy).toFixed(3)} s |`,
  )
  console.log(
    `| steady | per-organization (coderops) | ${queries.steadyNew} | ${median(samples.steadyNew).toFixed(3)} s |`,
  )
  console.log(
    `| steady | per-preset (legacy) | ${queries.steadyLegacy} | ${median(samples.steadyLegacy).toFixed(3)} s |`,
  )
  const fewer = queries.steadyLegacy / queries.steadyNew
  console.log(
    `steady state: ${queries.steadyNew} query (target 1: ${queries.steadyNew === 1 ? "met" : "MISSED"}); ${fewer.toFixed(0)}× fewer queries than per-preset (target ≥ 100×: ${fewer >= 100 ? "met" : "MISSED"}); cold ${queries.coldLegacy / queries.coldNew}× fewer`,
  )
  console.log(
    `cold pass over ${organizations} organizations: ${median(samples.coldNew).toFixed(3)} s (target < 2 s: ${median(samples.coldNew) < 2 ? "met" : "MISSED"})`,
  )
})
