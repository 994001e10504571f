import { prebuildsGroupName, prebuildsUserId } from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { beforeAll, describe, expect, it } from "vitest"
import { getOrganizationsWithPrebuildStatus } from "../src/index.js"
import { organizationId, organizationSql, prepareSchema, run, seed } from "./support.js"

const database = useTestDatabase()

beforeAll(async () => {
  await run(database.url, prepareSchema)
  await seed(database.url, [
    organizationSql(1, [2]), // nothing in place
    organizationSql(2, [0, null]), // 0 counts as configured; member only
    organizationSql(3, [1]), // member, group, group member
    organizationSql(4, [null, null]), // presets without desired_instances: no prebuilds
    organizationSql(5, []), // no presets at all
    `INSERT INTO organization_members (user_id, organization_id, created_at, updated_at) VALUES
       ('${prebuildsUserId}', '${organizationId(2)}', now(), now()),
       ('${prebuildsUserId}', '${organizationId(3)}', now(), now());
     INSERT INTO groups (id, name, organization_id) VALUES
       ('55555555-5555-4555-8555-000000000003', '${prebuildsGroupName}', '${organizationId(3)}');
     INSERT INTO group_members (user_id, group_id) VALUES
       ('${prebuildsUserId}', '55555555-5555-4555-8555-000000000003');`,
  ])
})

describe("getOrganizationsWithPrebuildStatus", () => {
  it("returns each organization with prebuilds configured, with its membership state, in one query", async () => {
    const names: Array<string> = []
    const statuses = await run(
      database.url,
      Db.use((db) => {
        const remove = db.addObserver({ onQuery: (event) => names.push(event.name) })
        return Effect.ensuring(getOrganizationsWithPrebuildStatus(), Effect.sync(remove))
      }),
    )
    expect(names).toEqual(["GetOrganizationsWithPrebuildStatus"])
    expect(statuses).toEqual([
      {
        organizationId: organizationId(1),
        organizationName: "org-0001",
        hasMembership: false,
        groupId: undefined,
        inGroup: false,
      },
      {
        organizationId: organizationId(2),
        organizationName: "org-0002",
        hasMembership: true,
        groupId: undefined,
        inGroup: false,
      },
      {
        organizationId: organizationId(3),
        organizationName: "org-0003",
        hasMembership: true,
        groupId: "55555555-5555-4555-8555-000000000003",
        inGroup: true,
      },
    ])
  })
})
