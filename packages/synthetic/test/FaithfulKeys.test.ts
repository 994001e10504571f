import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import { beforeAll, describe, expect, it } from "vitest"
import {
  type FaithfulDataReport,
  generateFaithfulData,
  readStatistics,
  seedDeployment,
  tablesWithParents,
} from "../src/index.js"

// Memberships: composite primary keys, foreign keys to two parents, arrays, enums, checks.
const source = useTestDatabase()
const copy = useTestDatabase()

let report: FaithfulDataReport
const wanted = ["organization_members", "group_members", "member_notes"]

/** A two-column foreign key (Coder's schema has none): notes on organization members. */
const memberNotes = `CREATE TABLE member_notes (
  organization_id uuid NOT NULL,
  user_id uuid NOT NULL,
  note text NOT NULL,
  FOREIGN KEY (organization_id, user_id) REFERENCES organization_members (organization_id, user_id)
)`

beforeAll(async () => {
  for (const url of [source.url, copy.url]) await run(url, applyCoderSchemaForTests())
  await run(
    source.url,
    seedDeployment({
      orgs: 40,
      users: 3_000,
      templatesPerOrg: 0,
      versionsPerTemplate: 1,
      presetsPerVersion: 0,
      apiKeys: 0,
      expiredFraction: 0,
      seed: 5,
      reconciledFraction: 1,
      presetDesiredFraction: 0,
    }),
  )
  for (const url of [source.url, copy.url]) await sql(url, memberNotes)
  // Up to four notes a member: common organizations and users in the statistics.
  await sql(
    source.url,
    `INSERT INTO member_notes
     SELECT organization_id, user_id, 'note ' || n FROM organization_members,
       generate_series(1, 1 + (hashtext(user_id::text) & 3)) AS n`,
  )
  await sql(source.url, "ANALYZE")
  const tables = await run(copy.url, tablesWithParents(wanted))
  const statistics = await run(source.url, readStatistics(tables))
  report = await run(copy.url, generateFaithfulData({ tables: wanted, statistics, seed: 9 }))
}, 120_000)

const share = async (url: string, from: string, condition: string) =>
  (await sql<{ s: number }>(url, `SELECT avg((${condition})::int)::float8 AS s FROM ${from}`))[0]!.s

describe("generateFaithfulData on keys, arrays, enums and checks", () => {
  it("orders parents first and fills each table about as full as the source", async () => {
    const order = report.tables.map((t) => t.table)
    for (const [parent, child] of [
      ["users", "organization_members"],
      ["organizations", "organization_members"],
      ["organizations", "groups"],
      ["groups", "group_members"],
      ["users", "group_members"],
    ] as const)
      expect(order.indexOf(parent)).toBeLessThan(order.indexOf(child))
    const members = report.tables.find((t) => t.table === "organization_members")!
    expect(members.written).toBeGreaterThan(members.requested * 0.97)
    expect(report.triggers).toBe("skipped")
  })

  it("draws every foreign key from the generated parents", async () => {
    const [orphans] = await sql<{ n: number }>(
      copy.url,
      `SELECT (SELECT count(*) FROM organization_members m WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m.user_id))
            + (SELECT count(*) FROM organization_members m WHERE NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = m.organization_id))
            + (SELECT count(*) FROM groups g WHERE NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = g.organization_id))
            + (SELECT count(*) FROM group_members m WHERE NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = m.group_id))
            + (SELECT count(*) FROM group_members m WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m.user_id)) AS n`,
    )
    expect(Number(orphans!.n)).toBe(0)
  })

  it("draws every column of a two-column foreign key from the same parent row", async () => {
    const [notes] = await sql<{ n: number; orphans: number }>(
      copy.url,
      `SELECT count(*)::int AS n,
              count(*) FILTER (WHERE NOT EXISTS (
                SELECT 1 FROM organization_members m
                WHERE m.organization_id = member_notes.organization_id AND m.user_id = member_notes.user_id
              ))::int AS orphans
       FROM member_notes`,
    )
    expect(notes!.n).toBeGreaterThan(1000)
    expect(notes!.orphans).toBe(0)
  })

  it("gives enums and arrays their common values at the source's frequencies", async () => {
    for (const [from, condition] of [
      ["users", "login_type = 'password'"],
      ["users", "status = 'active'"],
      ["users", "rbac_roles = '{}'"],
      ["organization_members", "roles = '{organization-admin}'"],
    ] as const) {
      const real = await share(source.url, from, condition)
      const made = await share(copy.url, from, condition)
      expect(Math.abs(made - real), `${from}: ${condition}`).toBeLessThan(0.03)
    }
  })

  it("keeps Coder's checks (username not empty, one-time passcode both or neither) and unique names", async () => {
    // The checks and unique indexes are enforced by the server even with triggers skipped:
    // the rows loaded at all is proof; these say what the generator did for them.
    expect(await share(copy.url, "users", "length(username) >= 1")).toBe(1)
    const [dupes] = await sql<{ n: number }>(
      copy.url,
      "SELECT count(*)::int AS n FROM (SELECT lower(email) FROM users WHERE NOT deleted GROUP BY 1 HAVING count(*) > 1) d",
    )
    expect(dupes!.n).toBe(0)
    expect(report.unchecked).toEqual([])
  })
})
