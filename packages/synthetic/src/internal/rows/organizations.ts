// Organizations, users and who belongs where: memberships, Everyone groups and, where
// reconciled, the prebuilds user's membership, group and group membership.
import {
  prebuildsGroupDisplayName,
  prebuildsGroupName,
  prebuildsUserId,
} from "@coderops/coder-schema"
import { copyText, day, line, timestamp } from "../copyText.js"
import { orgId, type Plan, primaryOrg, threeYears, userId } from "../plan.js"
import { below, rowHash, uuid, word } from "../random.js"
import type { SeededTable } from "../SeededTable.js"

// biome-ignore format: a word list
const firstNames = [
  "alex", "blair", "casey", "dana", "eli", "farah", "gus", "hana",
  "ivan", "jun", "kai", "lena", "mo", "nia", "omar", "priya",
]
// biome-ignore format: a word list
const lastNames = [
  "smith", "garcia", "chen", "okafor", "novak", "silva", "kim", "haddad",
  "ivanova", "mueller", "tanaka", "dubois", "kowalski", "nguyen", "rossi", "larsen",
]

function* organizationRows(plan: Plan) {
  for (let o = 0; o < plan.orgs; o++) {
    const created = timestamp(
      plan.now - threeYears + below(word(rowHash(plan.keys.organizations, o), 4), 365 * day),
    )
    const name = o === 0 ? "coder" : `org-${o + 1}`
    const display = o === 0 ? "Coder" : `Organization ${o + 1}`
    yield line([orgId(plan, o), name, display, "", created, created, o === 0 ? "t" : "f"])
  }
}

const capitalized = (name: string) => `${name[0]!.toUpperCase()}${name.slice(1)}`

function* userRows(plan: Plan) {
  const key = plan.keys.users
  for (let u = 0; u < plan.users; u++) {
    const row = rowHash(key, u)
    const first = firstNames[word(row, 4) % firstNames.length]!
    const last = lastNames[word(row, 5) % lastNames.length]!
    const created = plan.now - below(word(row, 6), threeYears)
    const lastSeen = created + below(word(row, 7), plan.now - created)
    const w = word(row, 8) % 100
    const status = w < 85 ? "active" : w < 95 ? "dormant" : "suspended"
    const l = word(row, 9) % 100
    const loginType = l < 70 ? "password" : l < 95 ? "oidc" : "github"
    yield line([
      userId(plan, u),
      copyText(`${first}.${last}.${u + 1}@example.com`),
      copyText(`${first}-${last}-${u + 1}`),
      copyText(`${capitalized(first)} ${capitalized(last)}`),
      // An empty hashed_password (bytea; the backslash escaped for COPY).
      "\\\\x",
      timestamp(created),
      timestamp(lastSeen),
      status,
      u === 0 ? "{owner}" : "{}",
      loginType,
      timestamp(lastSeen),
    ])
  }
}

function* membershipRows(plan: Plan) {
  const key = plan.keys.memberships
  for (let u = 0; u < plan.users; u++) {
    const row = rowHash(key, u)
    const created = timestamp(plan.now - below(word(row, 0), threeYears))
    const user = userId(plan, u)
    const primary = primaryOrg(plan, u)
    const roles = word(row, 1) % 20 === 0 ? "{organization-admin}" : "{}"
    yield line([user, orgId(plan, primary), created, created, roles])
    // One user in five also belongs to a second organization.
    if (plan.orgs > 1 && word(row, 2) % 5 === 0) {
      const second = (primary + 1 + below(word(row, 3), plan.orgs - 1)) % plan.orgs
      yield line([user, orgId(plan, second), created, created, "{}"])
    }
  }
  const reconciledAt = timestamp(plan.now - 30 * day)
  for (let o = 0; o < plan.orgs; o++)
    if (plan.reconciled[o])
      yield line([prebuildsUserId, orgId(plan, o), reconciledAt, reconciledAt, "{}"])
}

const prebuildsGroupId = (plan: Plan, o: number) => uuid(plan.keys.prebuildsGroups, o)

function* groupRows(plan: Plan) {
  for (let o = 0; o < plan.orgs; o++) {
    const org = orgId(plan, o)
    yield line([org, "Everyone", org, "", 0])
    if (plan.reconciled[o])
      yield line([
        prebuildsGroupId(plan, o),
        prebuildsGroupName,
        org,
        copyText(prebuildsGroupDisplayName),
        0,
      ])
  }
}

function* groupMemberRows(plan: Plan) {
  for (let o = 0; o < plan.orgs; o++)
    if (plan.reconciled[o]) yield line([prebuildsUserId, prebuildsGroupId(plan, o)])
}

const reconciledCount = (plan: Plan) => plan.reconciled.filter(Boolean).length

export const organizationTables: ReadonlyArray<SeededTable> = [
  {
    table: "organizations",
    name: "CopySeedOrganizations",
    columns: [
      "id",
      "name",
      "display_name",
      "description",
      "created_at",
      "updated_at",
      "is_default",
    ],
    rows: organizationRows,
    expectedRows: (plan) => plan.orgs,
  },
  {
    table: "users",
    name: "CopySeedUsers",
    // biome-ignore format: a column list
    columns: ["id", "email", "username", "name", "hashed_password", "created_at", "updated_at", "status", "rbac_roles", "login_type", "last_seen_at"],
    rows: userRows,
    expectedRows: (plan) => plan.users,
  },
  {
    table: "organization_members",
    name: "CopySeedOrganizationMembers",
    columns: ["user_id", "organization_id", "created_at", "updated_at", "roles"],
    rows: membershipRows,
  },
  {
    table: "groups",
    name: "CopySeedGroups",
    columns: ["id", "name", "organization_id", "display_name", "quota_allowance"],
    rows: groupRows,
    expectedRows: (plan) => plan.orgs + reconciledCount(plan),
  },
  {
    table: "group_members",
    name: "CopySeedGroupMembers",
    columns: ["user_id", "group_id"],
    rows: groupMemberRows,
    expectedRows: (plan) => reconciledCount(plan),
  },
]
