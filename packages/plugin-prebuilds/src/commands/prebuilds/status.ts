import { BaseCommand, countOf, renderTable } from "@coderops/cli-kit"
import {
  getOrganizationsWithPrebuildStatus,
  getPresetStates,
  type OrganizationPrebuildStatus,
  type PresetState,
} from "@coderops/prebuilds-reconcile"
import * as Effect from "effect/Effect"

const mark = (ok: boolean) => (ok ? "yes" : "MISSING")

export default class PrebuildsStatus extends BaseCommand<typeof PrebuildsStatus> {
  static override summary =
    "Show each organization with prebuilds and the prebuilds user's membership state, then every preset."

  static override description =
    "An organization has prebuilds when a preset of one of its templates sets desired_instances (0 counts). The prebuilds user (c42fdf75-3097-471c-8c33-fb52454d81c0) must be a member of it and of its coderprebuiltworkspaces group. Presets: desired against running prebuilt workspaces (those whose latest build is a successful start), for each template's active version. Read-only."

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --json",
  ]

  async run(): Promise<{
    organizations: ReadonlyArray<OrganizationPrebuildStatus>
    presets: ReadonlyArray<PresetState>
  }> {
    const result = await this.runDb(
      Effect.all(
        {
          organizations: getOrganizationsWithPrebuildStatus(),
          presets: getPresetStates(),
        },
        // Two reads on two connections: at 10,000 organizations each takes a few hundred ms.
        { concurrency: 2 },
      ),
    )
    if (this.jsonEnabled()) return result
    const { organizations, presets } = result
    const incomplete = organizations.filter(
      (o) => !o.hasMembership || o.groupId === undefined || !o.inGroup,
    )
    this.log(
      `${countOf(organizations.length, "organization")} with prebuilds; ${incomplete.length} need reconciling${incomplete.length > 0 ? " (coderops prebuilds reconcile)" : ""}\n`,
    )
    if (organizations.length > 0) {
      this.log(
        renderTable(
          organizations.map((o) => ({
            organization: o.organizationName,
            member: mark(o.hasMembership),
            group: mark(o.groupId !== undefined),
            inGroup: mark(o.inGroup),
          })),
          [
            { key: "organization", name: "Organization" },
            { key: "member", name: "Member" },
            { key: "group", name: "Group" },
            { key: "inGroup", name: "In group" },
          ],
        ),
      )
    }
    if (presets.length > 0) {
      this.log(
        renderTable(
          presets.map((p) => ({
            organization: p.organizationName,
            template: p.templateName,
            preset: p.presetName,
            desired: String(p.desired),
            running: String(p.running),
          })),
          [
            { key: "organization", name: "Organization" },
            { key: "template", name: "Template" },
            { key: "preset", name: "Preset" },
            { key: "desired", name: "Desired", align: "right" },
            { key: "running", name: "Running", align: "right" },
          ],
          "Presets",
        ),
      )
    }
    return result
  }
}
