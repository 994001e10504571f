import { readFile } from "node:fs/promises"
import { join } from "node:path"
import {
  migrationsDir,
  prebuildsGroupDisplayName,
  prebuildsGroupName,
  prebuildsUserId,
} from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import { run } from "@coderops/test-db"
import { useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { beforeAll, describe, expect, it } from "vitest"
import {
  type SeedOptions,
  type SeedReport,
  type SeedTableProgress,
  seedDeployment,
} from "../src/index.js"

const seeded = useTestDatabase()
const sameSeed = useTestDatabase()
const otherSeed = useTestDatabase()
const noSchema = useTestDatabase()
const before371 = useTestDatabase()

const sql = <R extends object>(url: string, text: string, params: ReadonlyArray<unknown> = []) =>
  run(
    url,
    Db.use((db) => db.query<R>("TestQuery", text, params)),
  )

const countOf = async (url: string, from: string, params: ReadonlyArray<unknown> = []) =>
  (await sql<{ n: number }>(url, `SELECT count(*)::int AS n FROM ${from}`, params))[0]!.n

const options: SeedOptions = {
  orgs: 5,
  users: 20,
  templatesPerOrg: 2,
  versionsPerTemplate: 2,
  presetsPerVersion: 3,
  apiKeys: 500,
  expiredFraction: 0.4,
  seed: 42,
  reconciledFraction: 0.5,
  prebuiltWorkspacesPerPreset: 1,
}

const tables = [
  "organizations",
  "users",
  "organization_members",
  "groups",
  "group_members",
  "templates",
  "template_versions",
  "template_version_presets",
  "workspaces",
  "provisioner_jobs",
  "workspace_builds",
  "api_keys",
]

/** A digest of every table's rows; the prebuilds user comes from the migration (created_at = now()). */
const digests = (url: string) =>
  run(
    url,
    Effect.gen(function* () {
      const db = yield* Db
      const result: Record<string, string> = {}
      for (const table of tables) {
        const [row] = yield* db.query<{ digest: string }>(
          "DigestTable",
          `SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) AS digest FROM ${table} t
           WHERE ${table === "users" ? "t.id <> $1" : "$1::uuid IS NOT NULL"}`,
          [prebuildsUserId],
        )
        result[table] = row!.digest
      }
      return result
    }),
  )

const seed = (url: string, overrides: Partial<SeedOptions> = {}) =>
  run(url, seedDeployment({ ...options, ...overrides }))

const reference = new Date("2026-01-01T00:00:00Z")
let report: SeedReport
const progress: Array<[string, number]> = []
const rowsProgress: Array<SeedTableProgress> = []

beforeAll(async () => {
  await run(seeded.url, applyCoderSchemaForTests())
  report = await run(
    seeded.url,
    seedDeployment({
      ...options,
      onProgress: (table, rows) => progress.push([table, rows]),
      onRows: (event) => rowsProgress.push(event),
    }),
  )
})

describe("seedDeployment", () => {
  it("loads exactly the requested shape and reports it", async () => {
    const url = seeded.url
    // 60 presets, every other one with desired_instances: all 5 organizations have
    // prebuilds, and round(5 × 0.5) = 3 of them are reconciled.
    expect(report).toMatchObject({
      organizations: 5,
      users: 20,
      templates: 10,
      templateVersions: 20,
      presets: 60,
      apiKeys: 500,
      expiredApiKeys: 200,
      organizationsWithPrebuilds: 5,
      reconciledOrganizations: 3,
      apiKeyScopeColumn: "scopes",
    })
    expect(await countOf(url, "organizations")).toBe(5)
    expect(await countOf(url, "users WHERE NOT is_system")).toBe(20)
    expect(await countOf(url, "templates")).toBe(10)
    expect(await countOf(url, "template_versions")).toBe(20)
    expect(await countOf(url, "template_version_presets")).toBe(60)
    expect(await countOf(url, "template_version_presets WHERE desired_instances IS NOT NULL")).toBe(
      30,
    )
    expect(await countOf(url, "template_version_presets WHERE desired_instances > 3")).toBe(0)
    expect(await countOf(url, "api_keys")).toBe(500)
    expect(await countOf(url, "groups")).toBe(5 + 3)
    expect(await countOf(url, "group_members")).toBe(3)
    expect(progress.map(([table]) => table)).toEqual(tables)
    expect(Object.fromEntries(progress)).toMatchObject({ organizations: 5, api_keys: 500 })
  })

  it("reports rows while each table loads, of the total known ahead (all but memberships)", () => {
    const loaded = Object.fromEntries(progress)
    const last = new Map(rowsProgress.map((event) => [event.table, event]))
    for (const table of tables.filter((t) => t !== "group_members" || loaded[t]! > 0)) {
      const event = last.get(table)
      expect(event, table).toBeDefined()
      expect(event!.rows, table).toBe(loaded[table])
      if (table !== "organization_members") expect(event!.total, table).toBe(loaded[table])
    }
    expect(last.get("organization_members")!.total).toBeUndefined()
    // Two COPY streams load api_keys: their rows add up as they go.
    expect(
      rowsProgress.filter((e) => e.table === "api_keys").map((e) => [e.rows, e.total]),
    ).toEqual([
      [250, 500],
      [500, 500],
    ])
  })

  it("expires exactly the requested fraction more than 7 days before the reference time", async () => {
    const url = seeded.url
    const cutoff = new Date(reference.getTime() - 7 * 86_400_000)
    expect(await countOf(url, "api_keys WHERE expires_at < $1", [cutoff])).toBe(200)
    // Spread between 8 days and 3 years ago.
    const [range] = await sql<{ oldest: Date; newest: Date }>(
      url,
      "SELECT min(expires_at) AS oldest, max(expires_at) AS newest FROM api_keys WHERE expires_at < $1",
      [cutoff],
    )
    expect(range!.oldest.getTime()).toBeGreaterThanOrEqual(reference.getTime() - 1095 * 86_400_000)
    expect(range!.newest.getTime()).toBeLessThan(reference.getTime() - 8 * 86_400_000 + 1000)
    expect(range!.oldest.getTime()).toBeLessThan(reference.getTime() - 365 * 86_400_000)
  })

  it("gives every organization its Everyone group and every user an organization", async () => {
    const url = seeded.url
    expect(
      await countOf(
        url,
        "organizations o JOIN groups g ON g.id = o.id AND g.name = 'Everyone' AND g.organization_id = o.id",
      ),
    ).toBe(5)
    expect(
      await countOf(
        url,
        "users u WHERE NOT is_system AND NOT EXISTS (SELECT 1 FROM organization_members m WHERE m.user_id = u.id)",
      ),
    ).toBe(0)
    expect(
      await countOf(url, "(SELECT DISTINCT organization_id FROM organization_members) m"),
    ).toBe(5)
  })

  it("goes through Coder's row triggers as a real load would (COPY fires them)", async () => {
    // Coder's users trigger records each user's creation, stamped with its updated_at.
    expect(
      await countOf(
        seeded.url,
        `users u JOIN user_status_changes c ON c.user_id = u.id
          AND c.new_status = u.status AND c.changed_at = u.updated_at WHERE NOT u.is_system`,
      ),
    ).toBe(20)
  })

  it("builds templates, versions and presets that reference each other", async () => {
    const url = seeded.url
    // active_version_id is the template's last version, of the same organization.
    expect(
      await countOf(
        url,
        `templates t JOIN template_versions v ON v.id = t.active_version_id
         WHERE v.template_id = t.id AND v.organization_id = t.organization_id AND v.name = 'v2'`,
      ),
    ).toBe(10)
    expect(
      await countOf(
        url,
        "template_version_presets WHERE name NOT IN ('preset-1', 'preset-2', 'preset-3')",
      ),
    ).toBe(0)
    // Creators are members of the template's organization.
    expect(
      await countOf(
        url,
        `templates t WHERE NOT EXISTS (SELECT 1 FROM organization_members m
           WHERE m.user_id = t.created_by AND m.organization_id = t.organization_id)`,
      ),
    ).toBe(0)
  })

  it("owns one prebuilt workspace per active preset that wants at least one", async () => {
    const url = seeded.url
    const wanted = await countOf(
      url,
      `template_version_presets p JOIN templates t ON t.active_version_id = p.template_version_id
       WHERE p.desired_instances >= 1`,
    )
    expect(wanted).toBeGreaterThan(0)
    expect(report.prebuiltWorkspaces).toBe(wanted)
    expect(
      await countOf(
        url,
        `workspaces w JOIN workspace_latest_builds b ON b.workspace_id = w.id
         JOIN template_version_presets p ON p.id = b.template_version_preset_id
         JOIN templates t ON t.id = w.template_id AND t.active_version_id = p.template_version_id
         WHERE w.owner_id = $1 AND w.organization_id = t.organization_id
           AND b.transition = 'start' AND b.job_status = 'succeeded'
           AND b.template_version_id = p.template_version_id`,
        [prebuildsUserId],
      ),
    ).toBe(wanted)
  })

  it("reconciles the prebuilds user in the requested fraction of organizations with prebuilds", async () => {
    const url = seeded.url
    const rows = await sql<{ member: boolean; in_group: boolean }>(
      url,
      `SELECT EXISTS (SELECT 1 FROM organization_members m
                      WHERE m.organization_id = o.id AND m.user_id = $1) AS member,
              EXISTS (SELECT 1 FROM groups g JOIN group_members gm ON gm.group_id = g.id
                      WHERE g.organization_id = o.id AND g.name = $2 AND gm.user_id = $1
                        AND g.display_name = $3 AND g.quota_allowance = 0) AS in_group
       FROM organizations o ORDER BY o.name`,
      [prebuildsUserId, prebuildsGroupName, prebuildsGroupDisplayName],
    )
    expect(rows.filter((row) => row.member)).toHaveLength(3)
    // All or nothing per organization: membership, group and group membership together.
    expect(rows.every((row) => row.member === row.in_group)).toBe(true)
  })

  it("fills api_keys as Coder does: 10-character ids, token names, scopes and allow lists", async () => {
    const url = seeded.url
    expect(await countOf(url, "api_keys WHERE id !~ '^[0-9A-Za-z]{10}$'")).toBe(0)
    expect(await countOf(url, "api_keys WHERE octet_length(hashed_secret) <> 32")).toBe(0)
    const byType = await sql<{ login_type: string; named: number; n: number }>(
      url,
      `SELECT login_type::text, count(*) FILTER (WHERE token_name <> '')::int AS named, count(*)::int AS n
       FROM api_keys GROUP BY 1 ORDER BY 1`,
    )
    expect(byType.map((row) => row.login_type)).toEqual(["password", "token"])
    expect(
      byType.every((row) => (row.login_type === "token" ? row.named === row.n : row.named === 0)),
    ).toBe(true)
    const scopes = await sql<{ scopes: string; n: number }>(
      url,
      "SELECT scopes::text, count(*)::int AS n FROM api_keys WHERE allow_list = '{*:*}' GROUP BY 1 ORDER BY 1",
    )
    expect(scopes.map((row) => row.scopes)).toEqual(["{all}", "{application_connect}"])
    expect(scopes.reduce((sum, row) => sum + row.n, 0)).toBe(500)
    expect(await countOf(url, "api_keys WHERE user_id = $1", [prebuildsUserId])).toBe(0)
    expect(
      await countOf(url, "api_keys WHERE last_used < created_at OR last_used > expires_at"),
    ).toBe(0)
  })

  it("gives the planner statistics for the loaded rows", async () => {
    const [row] = await sql<{ reltuples: number }>(
      seeded.url,
      "SELECT reltuples::int AS reltuples FROM pg_class WHERE oid = 'api_keys'::regclass",
    )
    expect(row!.reltuples).toBe(500)
  })

  it("is deterministic: the same seed gives byte-identical tables, another seed different ones", async () => {
    await run(sameSeed.url, applyCoderSchemaForTests())
    await seed(sameSeed.url)
    await run(otherSeed.url, applyCoderSchemaForTests())
    await seed(otherSeed.url, { seed: 43 })
    const [first, same, other] = await Promise.all([
      digests(seeded.url),
      digests(sameSeed.url),
      digests(otherSeed.url),
    ])
    expect(same).toEqual(first)
    for (const table of tables) expect(other[table], table).not.toBe(first[table])
  })

  it("refuses a database that already has organizations or API keys", async () => {
    const error = await run(seeded.url, Effect.flip(seedDeployment(options)))
    expect(error._tag).toBe("SeedTargetNotEmpty")
    expect(error).toMatchObject({ table: "organizations" })
    expect(await countOf(seeded.url, "organizations")).toBe(5)
  })

  it("refuses a database without the Coder schema", async () => {
    const error = await run(noSchema.url, Effect.flip(seedDeployment(options)))
    expect(error._tag).toBe("SchemaMissing")
    expect(error).toMatchObject({ missing: tables })
  })

  it("rejects options it cannot honour before it touches the database", async () => {
    const error = await run(
      noSchema.url,
      Effect.flip(seedDeployment({ ...options, expiredFraction: 1.5 })),
    )
    expect(error._tag).toBe("InvalidSeedOptions")
    expect(error.message).toContain("expiredFraction must be between 0 and 1")
  })

  it("seeds the schema before 000371 (scope), and 000371 then keeps only keys that expired in the last 7 days or not yet", async () => {
    const url = before371.url
    const baseline = await readFile(join(migrationsDir, "000370_baseline.up.sql"), "utf8")
    await run(
      url,
      Db.use((db) => db.script("Apply000370", baseline)),
    )
    // Relative to the server's clock, as a rehearsal of the migration needs.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000)
    const result = await seed(url, { now })
    expect(result.apiKeyScopeColumn).toBe("scope")
    const scopes = await sql<{ scope: string; n: number }>(
      url,
      "SELECT scope::text, count(*)::int AS n FROM api_keys GROUP BY 1 ORDER BY 1",
    )
    expect(scopes.map((row) => row.scope)).toEqual(["all", "application_connect"])
    expect(scopes.reduce((sum, row) => sum + row.n, 0)).toBe(500)

    const migration = await readFile(
      join(migrationsDir, "000371_api_key_scopes_array_allow_list.up.sql"),
      "utf8",
    )
    await run(
      url,
      Db.use((db) => db.script("Apply000371", migration)),
    )
    expect(await countOf(url, "api_keys")).toBe(500 - 200)
    expect(await countOf(url, "api_keys WHERE scopes = '{}' OR allow_list <> '{*:*}'")).toBe(0)
  })
})
