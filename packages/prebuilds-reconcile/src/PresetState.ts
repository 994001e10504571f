import { prebuildsUserId } from "@coderops/coder-schema"
import { Db, withRequiredTables } from "@coderops/db-core"
import { type Collector, Metrics } from "@coderops/metrics"
import * as Effect from "effect/Effect"

export interface PresetState {
  readonly organizationName: string
  readonly templateName: string
  readonly presetName: string
  readonly presetId: string
  readonly desired: number
  /**
   * Running prebuilt workspaces of the preset, counted as Coder counts them: owned by the
   * prebuilds user, not deleted, their latest build a start whose job succeeded; the
   * preset is that of the workspace's latest build that names one.
   */
  readonly running: number
}

/** The tables the preset states read. */
const presetStateTables = [
  "organizations",
  "templates",
  "template_version_presets",
  "workspaces",
  "workspace_builds",
  "provisioner_jobs",
]

/**
 * Desired against running prebuilt workspaces, per preset of each template's active
 * version that has prebuilds configured. Read-only. A workspace's preset is recorded on
 * its builds (workspace_builds.template_version_preset_id), not on the workspace. The
 * prebuilds user's live workspaces come from the (owner_id, lower(name)) index of live
 * workspaces, and each one's latest build from the unique (workspace_id, build_number)
 * index, read backwards: no scan of workspace_builds, however many builds it holds.
 */
export const getPresetStates = Effect.fn("PresetState.get")(function* () {
  const db = yield* Db
  const rows = yield* db.query<{
    organization_name: string
    template_name: string
    preset_name: string
    preset_id: string
    desired: number
    running: number
  }>(
    "GetPrebuildPresetStates",
    `WITH running AS (
       SELECT preset.id AS preset_id, count(*) AS running
         FROM workspaces w
         CROSS JOIN LATERAL (
           SELECT b.transition, b.job_id FROM workspace_builds b
            WHERE b.workspace_id = w.id ORDER BY b.build_number DESC LIMIT 1
         ) latest
         JOIN provisioner_jobs j ON j.id = latest.job_id
         CROSS JOIN LATERAL (
           SELECT b.template_version_preset_id AS id FROM workspace_builds b
            WHERE b.workspace_id = w.id AND b.template_version_preset_id IS NOT NULL
            ORDER BY b.build_number DESC LIMIT 1
         ) preset
        WHERE w.owner_id = $1 AND w.deleted = false
          AND latest.transition = 'start' AND j.job_status = 'succeeded'
        GROUP BY preset.id
     )
     SELECT o.name AS organization_name, t.name AS template_name, p.name AS preset_name, p.id AS preset_id,
            p.desired_instances AS desired, coalesce(r.running, 0)::int AS running
       FROM template_version_presets p
       JOIN templates t ON t.active_version_id = p.template_version_id AND NOT t.deleted
       JOIN organizations o ON o.id = t.organization_id
       LEFT JOIN running r ON r.preset_id = p.id
      WHERE p.desired_instances IS NOT NULL
      ORDER BY o.name, t.name, p.name`,
    [prebuildsUserId],
  )
  return rows.map(
    (row): PresetState => ({
      organizationName: row.organization_name,
      templateName: row.template_name,
      presetName: row.preset_name,
      presetId: row.preset_id,
      desired: row.desired,
      running: row.running,
    }),
  )
}, withRequiredTables(presetStateTables))

/** `coderops_prebuilt_workspaces_desired` / `_running` per preset, refreshed on scrape. */
export const presetStateCollector: Collector = {
  name: "prebuilt_workspaces",
  collect: Effect.gen(function* () {
    const metrics = yield* Metrics
    const states = yield* getPresetStates()
    const labelNames = ["organization_name", "template_name", "preset_name"] as const
    const desired = metrics.gauge({
      name: "coderops_prebuilt_workspaces_desired",
      help: "Prebuilt workspaces a preset asks for (desired_instances).",
      labelNames,
    })
    const running = metrics.gauge({
      name: "coderops_prebuilt_workspaces_running",
      help: "Running prebuilt workspaces of a preset: owned by the prebuilds user, not deleted, latest build a successful start.",
      labelNames,
    })
    desired.reset()
    running.reset()
    for (const state of states) {
      const labels = {
        organization_name: state.organizationName,
        template_name: state.templateName,
        preset_name: state.presetName,
      }
      desired.set(labels, state.desired)
      running.set(labels, state.running)
    }
  }),
}
