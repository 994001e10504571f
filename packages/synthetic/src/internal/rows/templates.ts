// Templates, their versions (the last one active) and the versions' presets.
import { copyNull, day, line, timestamp } from "../copyText.js"
import {
  desiredInstances,
  orgId,
  type Plan,
  presetIndex,
  templateCreator,
  templateIndex,
  userId,
  versionIndex,
} from "../plan.js"
import { below, rowHash, uuid, word } from "../random.js"
import type { SeededTable } from "../SeededTable.js"

function* templateRows(plan: Plan) {
  const last = plan.versionsPerTemplate - 1
  for (let o = 0; o < plan.orgs; o++) {
    for (let t = 0; t < plan.templatesPerOrg; t++) {
      const ti = templateIndex(plan, o, t)
      const created = timestamp(
        plan.now - below(word(rowHash(plan.keys.templates, ti), 5), 365 * day),
      )
      yield line([
        uuid(plan.keys.templates, ti),
        created,
        created,
        orgId(plan, o),
        `template-${t + 1}`,
        "terraform",
        uuid(plan.keys.versions, versionIndex(plan, ti, last)),
        `Template ${t + 1}`,
        userId(plan, templateCreator(plan, o, ti)),
      ])
    }
  }
}

/** Later versions are newer: version v is (versions - v) weeks old. */
const versionCreated = (plan: Plan, v: number) =>
  timestamp(plan.now - (plan.versionsPerTemplate - v) * 7 * day)

function* versionRows(plan: Plan) {
  for (let o = 0; o < plan.orgs; o++) {
    for (let t = 0; t < plan.templatesPerOrg; t++) {
      const ti = templateIndex(plan, o, t)
      const creator = userId(plan, templateCreator(plan, o, ti))
      for (let v = 0; v < plan.versionsPerTemplate; v++) {
        const vi = versionIndex(plan, ti, v)
        const created = versionCreated(plan, v)
        yield line([
          uuid(plan.keys.versions, vi),
          uuid(plan.keys.templates, ti),
          orgId(plan, o),
          created,
          created,
          `v${v + 1}`,
          "",
          uuid(plan.keys.jobs, vi),
          creator,
        ])
      }
    }
  }
}

function* presetRows(plan: Plan) {
  const versions = plan.orgs * plan.templatesPerOrg * plan.versionsPerTemplate
  for (let vi = 0; vi < versions; vi++) {
    const created = versionCreated(plan, vi % plan.versionsPerTemplate)
    for (let p = 0; p < plan.presetsPerVersion; p++) {
      const pi = presetIndex(plan, vi, p)
      const desired = desiredInstances(plan, pi)
      yield line([
        uuid(plan.keys.presets, pi),
        uuid(plan.keys.versions, vi),
        `preset-${p + 1}`,
        created,
        desired === undefined ? copyNull : desired,
      ])
    }
  }
}

export const templateTables: ReadonlyArray<SeededTable> = [
  {
    table: "templates",
    name: "CopySeedTemplates",
    // biome-ignore format: a column list
    columns: ["id", "created_at", "updated_at", "organization_id", "name", "provisioner", "active_version_id", "display_name", "created_by"],
    rows: templateRows,
    expectedRows: (plan) => plan.orgs * plan.templatesPerOrg,
  },
  {
    table: "template_versions",
    name: "CopySeedTemplateVersions",
    // biome-ignore format: a column list
    columns: ["id", "template_id", "organization_id", "created_at", "updated_at", "name", "readme", "job_id", "created_by"],
    rows: versionRows,
    expectedRows: (plan) => plan.orgs * plan.templatesPerOrg * plan.versionsPerTemplate,
  },
  {
    table: "template_version_presets",
    name: "CopySeedPresets",
    columns: ["id", "template_version_id", "name", "created_at", "desired_instances"],
    rows: presetRows,
    expectedRows: (plan) => plan.presets,
  },
]
