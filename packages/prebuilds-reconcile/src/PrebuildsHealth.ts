import { type Collector, Metrics } from "@coderops/metrics"
import * as Effect from "effect/Effect"
import { getOrganizationsWithPrebuildStatus } from "./PrebuildStatus.js"

/** What the exporter reports of prebuilds membership, from the one status query. */
export const prebuildsHealthCollector: Collector = {
  name: "prebuilds_membership",
  collect: Effect.gen(function* () {
    const metrics = yield* Metrics
    const statuses = yield* getOrganizationsWithPrebuildStatus()
    metrics
      .gauge({
        name: "coderops_prebuilds_organizations",
        help: "Organizations with prebuilds configured (a preset with desired_instances set).",
      })
      .set({}, statuses.length)
    const missing = metrics.gauge({
      name: "coderops_prebuilds_organizations_missing",
      help: "Organizations with prebuilds whose prebuilds user lacks: membership, the group, or the group membership.",
      labelNames: ["missing"],
    })
    missing.set({ missing: "membership" }, statuses.filter((s) => !s.hasMembership).length)
    missing.set({ missing: "group" }, statuses.filter((s) => s.groupId === undefined).length)
    missing.set({ missing: "group_membership" }, statuses.filter((s) => !s.inGroup).length)
  }),
}
