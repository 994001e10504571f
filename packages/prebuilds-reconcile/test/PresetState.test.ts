import { prebuildsUserId } from "@coderops/coder-schema"
import { useTestDatabase } from "@coderops/test-postgres"
import { beforeAll, describe, expect, it } from "vitest"
import { getPresetStates } from "../src/index.js"
import { organizationId, organizationSql, owner, prepareSchema, run, seed } from "./support.js"

const database = useTestDatabase()

let workspaces = 0

/**
 * A workspace of organization 1's template with these builds, oldest first: each a
 * transition, its job's outcome and the preset it names (a preset name or null).
 */
const workspaceSql = (
  ownerId: string,
  builds: ReadonlyArray<readonly [string, "succeeded" | "failed" | "running", string | null]>,
  deleted = false,
) => {
  const n = ++workspaces
  const workspace = `77777777-7777-4777-8777-${String(n).padStart(12, "0")}`
  const version = "44444444-4444-4444-8444-000000000001"
  const rows = builds.map(([transition, outcome, preset], b) => {
    const job = `88888888-8888-4888-8888-${String(n * 100 + b).padStart(12, "0")}`
    const completed = outcome === "running" ? "NULL" : "now()"
    const error = outcome === "failed" ? "'boom'" : "''"
    const presetId =
      preset === null
        ? "NULL"
        : `(SELECT id FROM template_version_presets WHERE template_version_id = '${version}' AND name = '${preset}')`
    return `
      INSERT INTO provisioner_jobs (id, created_at, updated_at, started_at, completed_at, error, organization_id,
                                    initiator_id, provisioner, storage_method, type, input, file_id)
        VALUES ('${job}', now(), now(), now(), ${completed}, ${error}, '${organizationId(1)}', '${ownerId}',
                'terraform', 'file', 'workspace_build', '{}', gen_random_uuid());
      INSERT INTO workspace_builds (id, created_at, updated_at, workspace_id, template_version_id, build_number,
                                    transition, initiator_id, job_id, template_version_preset_id)
        VALUES (gen_random_uuid(), now(), now(), '${workspace}', '${version}', ${b + 1}, '${transition}',
                '${ownerId}', '${job}', ${presetId});`
  })
  return `
    INSERT INTO workspaces (id, created_at, updated_at, owner_id, organization_id, template_id, name, deleted)
      VALUES ('${workspace}', now(), now(), '${ownerId}', '${organizationId(1)}',
              '33333333-3333-4333-8333-000000000001', 'ws-${n}', ${deleted});
    ${rows.join("\n")}`
}

beforeAll(async () => {
  await run(database.url, prepareSchema)
  await seed(database.url, [
    // preset-0 wants 3, preset-1 wants 2, preset-2 has no prebuilds configured.
    organizationSql(1, [3, 2, null]),
    // Running: the latest build is a start whose job succeeded.
    workspaceSql(prebuildsUserId, [["start", "succeeded", "preset-0"]]),
    workspaceSql(prebuildsUserId, [
      ["start", "succeeded", "preset-0"],
      ["stop", "succeeded", "preset-0"],
      ["start", "succeeded", "preset-0"],
    ]),
    // The preset is that of the latest build naming one.
    workspaceSql(prebuildsUserId, [
      ["start", "succeeded", "preset-1"],
      ["start", "succeeded", null],
    ]),
    // Not running: stopped, failed, still building, deleted, or not a prebuild.
    workspaceSql(prebuildsUserId, [
      ["start", "succeeded", "preset-0"],
      ["stop", "succeeded", "preset-0"],
    ]),
    workspaceSql(prebuildsUserId, [["start", "failed", "preset-0"]]),
    workspaceSql(prebuildsUserId, [["start", "running", "preset-1"]]),
    workspaceSql(prebuildsUserId, [["start", "succeeded", "preset-1"]], true),
    workspaceSql(owner, [["start", "succeeded", "preset-1"]]),
  ])
})

describe("getPresetStates", () => {
  it("counts running prebuilt workspaces per preset through their latest build", async () => {
    const states = await run(database.url, getPresetStates())
    expect(
      states.map(({ organizationName, templateName, presetName, desired, running }) => ({
        organizationName,
        templateName,
        presetName,
        desired,
        running,
      })),
    ).toEqual([
      {
        organizationName: "org-0001",
        templateName: "template",
        presetName: "preset-0",
        desired: 3,
        running: 2,
      },
      {
        organizationName: "org-0001",
        templateName: "template",
        presetName: "preset-1",
        desired: 2,
        running: 1,
      },
    ])
  })
})
