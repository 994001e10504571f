import { prebuildsGroupName, prebuildsUserId } from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { createTestDatabase, databaseUrl, useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"
import pg from "pg"
import { describe, expect, it } from "vitest"
import { defaultLeaderLockKey, reconcileAll } from "../src/index.js"
import { organizationId, organizationSql, prepareSchema, run } from "./support.js"

useTestDatabase()

const fresh = async (organizations: number, extra = "") => {
  const url = databaseUrl(await createTestDatabase())
  await run(url, prepareSchema)
  const orgs = Array.from({ length: organizations }, (_, i) => organizationSql(i + 1, [1, null]))
  await run(
    url,
    Db.use((db) => db.script("Seed", [...orgs, extra].join("\n"))),
  )
  return url
}

interface Counts {
  org: string
  memberships: number
  groups: number
  group_memberships: number
  display_name: string | null
  quota: number | null
}

const counts = (url: string) =>
  run(
    url,
    Db.use((db) =>
      db.query<Counts>(
        "Counts",
        `SELECT o.name AS org,
                (SELECT count(*)::int FROM organization_members m WHERE m.organization_id = o.id AND m.user_id = $1) AS memberships,
                (SELECT count(*)::int FROM groups g WHERE g.organization_id = o.id AND g.name = $2) AS groups,
                (SELECT count(*)::int FROM group_members gm JOIN groups g ON g.id = gm.group_id
                  WHERE g.organization_id = o.id AND g.name = $2 AND gm.user_id = $1) AS group_memberships,
                (SELECT g.display_name FROM groups g WHERE g.organization_id = o.id AND g.name = $2) AS display_name,
                (SELECT g.quota_allowance FROM groups g WHERE g.organization_id = o.id AND g.name = $2) AS quota
           FROM organizations o ORDER BY o.name`,
        [prebuildsUserId, prebuildsGroupName],
      ),
    ),
  )

const converged = (c: Counts) =>
  c.memberships === 1 &&
  c.groups === 1 &&
  c.group_memberships === 1 &&
  c.display_name === "Prebuilt Workspaces" &&
  c.quota === 0
const untouched = (c: Counts) => c.memberships === 0 && c.groups === 0 && c.group_memberships === 0

describe("reconcileAll", () => {
  it("converges every combination of existing rows in one pass, touching nothing else", async () => {
    const member = (n: number) =>
      `INSERT INTO organization_members (user_id, organization_id, created_at, updated_at) VALUES ('${prebuildsUserId}', '${organizationId(n)}', now(), now());`
    const group = (n: number) =>
      `INSERT INTO groups (id, name, organization_id, display_name) VALUES ('66666666-6666-4666-8666-${String(n).padStart(12, "0")}', '${prebuildsGroupName}', '${organizationId(n)}', 'Prebuilt Workspaces');`
    const groupMember = (n: number) =>
      `INSERT INTO group_members (user_id, group_id) VALUES ('${prebuildsUserId}', '66666666-6666-4666-8666-${String(n).padStart(12, "0")}');`
    // 1: nothing; 2: member; 3: group; 4: member + group; 5: group + group member;
    // 6: everything; 7: presets all NULL; 8: no presets; 9: no templates at all.
    const url = await fresh(
      6,
      [
        member(2),
        group(3),
        member(4),
        group(4),
        group(5),
        groupMember(5),
        member(6),
        group(6),
        groupMember(6),
        organizationSql(7, [null, null]),
        organizationSql(8, []),
        `INSERT INTO organizations (id, name, display_name, created_at, updated_at, description) VALUES ('${organizationId(9)}', 'org-0009', 'Unrelated', now(), now(), '');`,
      ].join("\n"),
    )
    const report = await run(url, reconcileAll())
    expect(report).toMatchObject({
      leader: true,
      organizationsChecked: 6,
      membershipsCreated: 3,
      groupsCreated: 2,
      groupMembershipsCreated: 4,
      errors: [],
    })
    const after = await counts(url)
    expect(after.slice(0, 6).every(converged)).toBe(true)
    expect(after.slice(6).every(untouched)).toBe(true)

    const steady = await run(url, reconcileAll())
    expect(steady).toMatchObject({
      queries: 1,
      membershipsCreated: 0,
      groupsCreated: 0,
      groupMembershipsCreated: 0,
    })
    const steadyLeader = await run(url, reconcileAll({ leaderLockKey: defaultLeaderLockKey }))
    expect(steadyLeader).toMatchObject({ leader: true, queries: 1 })
  })

  it("--dry-run reports what it would do and writes nothing", async () => {
    const url = await fresh(3)
    const report = await run(url, reconcileAll({ dryRun: true }))
    expect(report).toMatchObject({
      dryRun: true,
      membershipsCreated: 3,
      groupsCreated: 3,
      groupMembershipsCreated: 3,
      queries: 1,
    })
    expect((await counts(url)).every(untouched)).toBe(true)
  })

  it("eight reconcilers at once on 200 organizations: no duplicates, no errors, all converged", async () => {
    const url = await fresh(200)
    const reports = await Promise.all(Array.from({ length: 8 }, () => run(url, reconcileAll())))
    for (const report of reports) expect(report.errors).toEqual([])
    const total = (key: "membershipsCreated" | "groupsCreated" | "groupMembershipsCreated") =>
      reports.reduce((sum, r) => sum + r[key], 0)
    expect([
      total("membershipsCreated"),
      total("groupsCreated"),
      total("groupMembershipsCreated"),
    ]).toEqual([200, 200, 200])
    const after = await counts(url)
    expect(after).toHaveLength(200)
    expect(after.every(converged)).toBe(true)
  })

  it("an organization deleted during the pass does not fail it for the others", async () => {
    const url = await fresh(5)
    const report = await run(
      url,
      reconcileAll({
        // Another session deletes an organization after the read, before the writes.
        afterRead: () =>
          Effect.promise(async () => {
            const other = new pg.Client({ connectionString: url })
            await other.connect()
            await other.query("DELETE FROM organizations WHERE id = $1", [organizationId(3)])
            await other.end()
          }),
      }),
    )
    expect(report.errors).toEqual([])
    expect(report).toMatchObject({
      organizationsChecked: 5,
      membershipsCreated: 4,
      organizationsGone: 1,
    })
    const after = await counts(url)
    expect(after.map((c) => c.org)).toEqual(["org-0001", "org-0002", "org-0004", "org-0005"])
    expect(after.every(converged)).toBe(true)
  })

  it("only the leader works: another pass holding the lock makes this one skip", async () => {
    const url = await fresh(3)
    const outcome = await run(
      url,
      Effect.gen(function* () {
        const holding = yield* Latch.make()
        const release = yield* Latch.make()
        const leaderFiber = yield* Effect.forkChild(
          reconcileAll({
            leaderLockKey: defaultLeaderLockKey,
            afterRead: () => Effect.andThen(holding.open, release.await),
          }),
        )
        yield* holding.await
        const follower = yield* reconcileAll({ leaderLockKey: defaultLeaderLockKey })
        yield* release.open
        const { Fiber } = yield* Effect.promise(() => import("effect"))
        const leader = yield* Fiber.join(leaderFiber)
        return { leader, follower }
      }),
    )
    expect(outcome.follower).toMatchObject({ leader: false, organizationsChecked: 0, queries: 1 })
    expect(outcome.leader).toMatchObject({
      leader: true,
      membershipsCreated: 3,
      groupsCreated: 3,
      groupMembershipsCreated: 3,
    })
  })
})
