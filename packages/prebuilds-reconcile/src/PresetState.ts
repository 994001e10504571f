import { prebuildsUserId } from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { type Collector, Metrics } from "@coderops/metrics"
import * as Effect from "effect/Effect"

export interface PresetState {
  readonly organizationName: string
  readonly templateName: string
  readonly presetName: string
  readonly presetId: string
  readonly desired: number
  /** Prebuilt workspaces of the preset: owned by the prebuilds user, not deleted. */
  readonly running: number
}

/**
 * Desired against running prebuilt workspaces, per preset of each template's active
 * version that has prebuilds configured. Read-only. Running workspaces are counted in
 * one aggregate over the prebuilds user's workspaces (workspaces is indexed by owner).
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
    `SELECT o.name AS organization_name, t.name AS template_name, p.name AS preset_name, p.id AS preset_id,
            p.desired_instances AS desired, coalesce(w.running, 0)::int AS running
       FROM template_version_presets p
       JOIN templates t ON t.active_version_id = p.template_version_id AND NOT t.deleted
       JOIN organizations o ON o.id = t.organization_id
       LEFT JOIN (
         SELECT template_version_preset_id, count(*) AS running
           FROM workspaces
          WHERE owner_id = $1 AND NOT deleted AND template_version_preset_id IS NOT NULL
          GROUP BY template_version_preset_id
       ) w ON w.template_version_preset_id = p.id
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
})

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
      help: "Prebuilt workspaces of a preset that exist: owned by the prebuilds user, not deleted.",
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
