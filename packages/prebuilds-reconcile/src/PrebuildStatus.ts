import { prebuildsGroupName, prebuildsUserId } from "@coderops/coder-schema"
import { Db, withRequiredTables } from "@coderops/db-core"
import * as Effect from "effect/Effect"

/** Where one organization with prebuilds configured stands, for the prebuilds user. */
export interface OrganizationPrebuildStatus {
  readonly organizationId: string
  readonly organizationName: string
  readonly hasMembership: boolean
  /** The organization's prebuilds group, if it exists. */
  readonly groupId: string | undefined
  readonly inGroup: boolean
}

export interface PrebuildStatusOptions {
  readonly userId?: string | undefined
  readonly groupName?: string | undefined
}

/**
 * The tables the status reads. A missing one is named (SchemaMissing) by the callers that
 * run the read outside a transaction: the lookup cannot run in the aborted one.
 */
export const prebuildStatusTables = [
  "organizations",
  "organization_members",
  "groups",
  "group_members",
  "templates",
  "template_versions",
  "template_version_presets",
]

/**
 * One read: every organization with prebuilds configured (some template → version →
 * preset with a non-null desired_instances; 0 counts), with the prebuilds user's
 * membership, the prebuilds group and the user's membership in it. With a leader lock
 * key the same statement first tries Coder's transaction lock, and reads nothing when
 * another reconciler holds it: a converged pass is exactly this one statement.
 *
 * The organizations come from one pass over the presets hashed against versions and
 * templates: Coder has no index on template_version_presets(template_version_id), so a
 * per-organization probe would scan presets once per organization.
 */
export const readPrebuildStatus = Effect.fn("PrebuildStatus.read")(function* (
  options: PrebuildStatusOptions & { readonly leaderLockKey?: bigint | undefined } = {},
) {
  const db = yield* Db
  const rows = yield* db
    .query<{
      leader: boolean
      organization_id: string | null
      organization_name: string | null
      has_membership: boolean | null
      group_id: string | null
      in_group: boolean | null
    }>(
      "GetOrganizationsWithPrebuildStatus",
      `WITH leader AS MATERIALIZED (
       SELECT CASE WHEN $3::bigint IS NULL THEN true ELSE pg_try_advisory_xact_lock($3::bigint) END AS ok
     ), prebuild_orgs AS (
       SELECT DISTINCT t.organization_id
         FROM template_version_presets p
         JOIN template_versions tv ON tv.id = p.template_version_id
         JOIN templates t ON t.id = tv.template_id
        WHERE p.desired_instances IS NOT NULL AND (SELECT ok FROM leader)
     ), statuses AS (
       SELECT o.id AS organization_id,
              o.name AS organization_name,
              m.user_id IS NOT NULL AS has_membership,
              g.id AS group_id,
              gm.user_id IS NOT NULL AS in_group
         FROM prebuild_orgs po
         JOIN organizations o ON o.id = po.organization_id
         LEFT JOIN organization_members m ON m.organization_id = o.id AND m.user_id = $1
         LEFT JOIN groups g ON g.organization_id = o.id AND g.name = $2
         LEFT JOIN group_members gm ON gm.group_id = g.id AND gm.user_id = $1
     )
     SELECT l.ok AS leader, s.*
       FROM leader l LEFT JOIN statuses s ON true
      ORDER BY s.organization_name, s.organization_id`,
      [
        options.userId ?? prebuildsUserId,
        options.groupName ?? prebuildsGroupName,
        options.leaderLockKey?.toString() ?? null,
      ],
    )
    .pipe(withRequiredTables(prebuildStatusTables))
  const statuses = rows.flatMap(
    (row): Array<OrganizationPrebuildStatus> =>
      row.organization_id === null
        ? []
        : [
            {
              organizationId: row.organization_id,
              organizationName: row.organization_name ?? "",
              hasMembership: row.has_membership === true,
              groupId: row.group_id ?? undefined,
              inGroup: row.in_group === true,
            },
          ],
  )
  return { leader: rows[0]?.leader ?? true, statuses }
})

/** The status of every organization with prebuilds configured (no leader election). */
export const getOrganizationsWithPrebuildStatus = Effect.fn("PrebuildStatus.get")(function* (
  options: PrebuildStatusOptions = {},
) {
  return (yield* readPrebuildStatus(options).pipe(withRequiredTables(prebuildStatusTables)))
    .statuses
})
