import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { coderops, embeddedFolder, launch } from "./cli.js"
import { contractProblems } from "./jsonContract.js"

// The demo runs on the embedded server: its own, in a folder of this test's.
const folder = await embeddedFolder("coderops-cli-demo-")
const { parent, env } = folder
afterAll(folder.remove)

/** Whether the demo database exists: `demo --drop` says (and drops it). */
const demoDatabaseExisted = async () => {
  const result = await coderops(["demo", "--drop", "--json"], env)
  expect(result.code, result.stderr).toBe(0)
  return (JSON.parse(result.stdout) as { existed: boolean }).existed
}

interface Pass {
  readonly organizationsChecked: number
  readonly membershipsCreated: number
  readonly groupsCreated: number
  readonly groupMembershipsCreated: number
  readonly queries: number
}

describe("coderops demo", () => {
  // One whole run (the machine is shared): kept, so that the other commands can reach it.
  it("--size small --json --keep: 000371 holds api_keys far shorter after the purge, the steady reconcile is one query; the database stays at 371 for the other commands", async () => {
    const result = await coderops(["demo", "--size", "small", "--json", "--keep"], env)
    expect(result.code, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout)
    expect(contractProblems(summary)).toEqual([])
    expect(summary.steps.map((s: { name: string }) => s.name)).toEqual([
      "database",
      "migrate",
      "seed",
      "plan-slow",
      "plan-fast",
      "purge",
      "apply",
      "reconcile-cold",
      "reconcile-steady",
      "metrics",
    ])
    expect(summary.deployment).toMatchObject({ organizations: 20, presets: 1000, apiKeys: 50_000 })

    // The original form rewrites api_keys twice with its expired keys; the fast one does not.
    const rules = (form: "slow" | "fast") =>
      summary.plan[form].findings.map((f: { rule: string }) => f.rule)
    expect(rules("slow")).toEqual(
      expect.arrayContaining(["table-rewritten-twice", "purge-before-rewrite"]),
    )
    expect(rules("fast")).not.toContain("table-rewritten-twice")
    expect(rules("fast")).not.toContain("purge-before-rewrite")

    const { beforePurge, afterPurge, ratio } = summary.lockTime
    expect(beforePurge.how).toBe("measured")
    expect(afterPurge.how).toBe("measured")
    expect(beforePurge.seconds).toBeGreaterThan(afterPurge.seconds)
    // 45,000 of the 50,000 keys are purged, and the original form rewrites the table twice.
    if (ratio !== null) expect(ratio).toBeGreaterThan(3)
    expect(summary.purge.purged).toBe(45_000)
    expect(summary.apply).toMatchObject({ from: 370, to: 371 })

    const { cold, steady } = summary.reconcile as { cold: Pass; steady: Pass }
    const orgs = summary.deployment.organizationsWithPrebuilds
    expect(orgs).toBeGreaterThan(0)
    expect(cold).toMatchObject({
      organizationsChecked: orgs,
      membershipsCreated: orgs,
      groupsCreated: orgs,
      groupMembershipsCreated: orgs,
    })
    expect(cold.queries).toBeGreaterThan(1)
    expect(steady).toMatchObject({ membershipsCreated: 0, groupsCreated: 0, queries: 1 })

    expect(summary.metrics).toContainEqual({
      name: "coderops_schema_migrations_version",
      labels: {},
      value: 371,
    })
    // The statements on the demo's own database are counted too (the reconcile's read).
    const statusReads = summary.metrics.find(
      (m: { name: string; labels: Record<string, string> }) =>
        m.name === "coderops_db_queries_total" &&
        m.labels.query === "GetOrganizationsWithPrebuildStatus",
    )
    expect(statusReads?.value).toBeGreaterThanOrEqual(2)
    expect(summary.database).toMatchObject({ name: "coderops_demo", kept: true, version: 371 })
    // Its URL, without the password.
    expect(summary.database.url).toMatch(
      /^postgres:\/\/\w+:xxxxx@127\.0\.0\.1:\d+\/coderops_demo\?sslmode=disable$/,
    )
    const status = await coderops(["migrate", "status", "--json"], {
      ...env,
      CODEROPS_EMBEDDED_DATABASE: "coderops_demo",
    })
    expect(status.code, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ version: 371, dirty: false })
    expect(await demoDatabaseExisted()).toBe(true)
    expect(await demoDatabaseExisted()).toBe(false)
  }, 180_000)

  // Before the work, not after it: a report that cannot be written loses no run.
  it("--report into a missing folder: exit 3 at once, nothing created", async () => {
    const result = await coderops(
      ["demo", "--size", "small", "--report", join(parent, "no", "r.html")],
      env,
    )
    expect(result.code, result.stderr).toBe(3)
    expect(result.stderr).toMatch(/--report .*does not exist or cannot be written/)
    expect(await demoDatabaseExisted()).toBe(false)
  })

  // Without --keep the database goes in the same finalizer, whether the run ends or stops.
  it("SIGTERM while it seeds: exit 130, and the database is dropped", async () => {
    const running = launch(["demo", "--size", "small"], {
      ...env,
      CODEROPS_PROGRESS_INTERVAL: "0",
    })
    await running.waitFor(() => /seeding/.test(running.stderr()), "seeding")
    const stopped = await running.stop("SIGTERM")
    expect(stopped.code, running.stderr()).toBe(130)
    expect(await demoDatabaseExisted()).toBe(false)
  }, 120_000)
})
