// Prebuilt workspaces, each with its first build (a start that names its preset) and the
// build's succeeded provisioner job.
import { prebuildsUserId } from "@coderops/coder-schema"
import { day, line, timestamp } from "../copyText.js"
import {
  desiredInstances,
  orgId,
  type Plan,
  presetIndex,
  templateIndex,
  versionIndex,
} from "../plan.js"
import { uuid } from "../random.js"
import type { SeededTable } from "../SeededTable.js"

/** One prebuilt workspace: its index and what it belongs to. */
interface Prebuilt {
  readonly index: number
  readonly o: number
  readonly ti: number
  readonly vi: number
  readonly pi: number
  readonly k: number
}

/** Prebuilt workspaces exist only for presets of active versions, as Coder's reconciler keeps them. */
function* prebuiltWorkspaces(plan: Plan): Generator<Prebuilt> {
  const active = plan.versionsPerTemplate - 1
  for (let o = 0; o < plan.orgs; o++) {
    for (let t = 0; t < plan.templatesPerOrg; t++) {
      const ti = templateIndex(plan, o, t)
      const vi = versionIndex(plan, ti, active)
      for (let p = 0; p < plan.presetsPerVersion; p++) {
        const pi = presetIndex(plan, vi, p)
        const instances = Math.min(
          desiredInstances(plan, pi) ?? 0,
          plan.prebuiltWorkspacesPerPreset,
        )
        for (let k = 0; k < instances; k++)
          yield { index: pi * plan.prebuiltWorkspacesPerPreset + k, o, ti, vi, pi, k }
      }
    }
  }
}

/** Prebuilt workspaces (one job and one build each): one pass over the active presets. */
const prebuiltCount = (plan: Plan) => {
  let n = 0
  for (const _ of prebuiltWorkspaces(plan)) n++
  return n
}

/** Every prebuilt workspace was created a day ago, by a build whose job took 2 minutes. */
const builtAt = (plan: Plan) => plan.now - day

function* workspaceRows(plan: Plan) {
  const created = timestamp(builtAt(plan))
  for (const w of prebuiltWorkspaces(plan))
    yield line([
      uuid(plan.keys.workspaces, w.index),
      created,
      created,
      prebuildsUserId,
      orgId(plan, w.o),
      uuid(plan.keys.templates, w.ti),
      `prebuild-${w.pi + 1}-${w.k + 1}`,
    ])
}

/** The succeeded job of each prebuilt workspace's build. */
function* buildJobRows(plan: Plan) {
  const created = builtAt(plan)
  for (const w of prebuiltWorkspaces(plan)) {
    const build = uuid(plan.keys.builds, w.index)
    yield line([
      uuid(plan.keys.buildJobs, w.index),
      timestamp(created),
      timestamp(created + 120),
      timestamp(created + 5),
      timestamp(created + 120),
      "",
      orgId(plan, w.o),
      prebuildsUserId,
      "terraform",
      "file",
      "workspace_build",
      `{"workspace_build_id": "${build}"}`,
      // The version's template files, as Coder points a build's job at them.
      uuid(plan.keys.jobs, w.vi),
    ])
  }
}

/** Build 1 of each prebuilt workspace: a start by the prebuilds user, with its preset. */
function* buildRows(plan: Plan) {
  const created = builtAt(plan)
  for (const w of prebuiltWorkspaces(plan))
    yield line([
      uuid(plan.keys.builds, w.index),
      timestamp(created),
      timestamp(created + 120),
      uuid(plan.keys.workspaces, w.index),
      uuid(plan.keys.versions, w.vi),
      1,
      "start",
      prebuildsUserId,
      uuid(plan.keys.buildJobs, w.index),
      "initiator",
      uuid(plan.keys.presets, w.pi),
    ])
}

export const workspaceTables: ReadonlyArray<SeededTable> = [
  {
    table: "workspaces",
    name: "CopySeedWorkspaces",
    // biome-ignore format: a column list
    columns: ["id", "created_at", "updated_at", "owner_id", "organization_id", "template_id", "name"],
    rows: workspaceRows,
    expectedRows: prebuiltCount,
  },
  {
    table: "provisioner_jobs",
    name: "CopySeedProvisionerJobs",
    // biome-ignore format: a column list
    columns: ["id", "created_at", "updated_at", "started_at", "completed_at", "error", "organization_id", "initiator_id", "provisioner", "storage_method", "type", "input", "file_id"],
    rows: buildJobRows,
    expectedRows: prebuiltCount,
  },
  {
    table: "workspace_builds",
    name: "CopySeedWorkspaceBuilds",
    // biome-ignore format: a column list
    columns: ["id", "created_at", "updated_at", "workspace_id", "template_version_id", "build_number", "transition", "initiator_id", "job_id", "reason", "template_version_preset_id"],
    rows: buildRows,
    expectedRows: prebuiltCount,
  },
]
