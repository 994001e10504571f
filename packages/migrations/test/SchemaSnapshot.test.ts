import { Db } from "@coderops/db-core"
import { applyCoderSchemaForTests } from "@coderops/test-coder-schema"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { beforeAll, describe, expect, it } from "vitest"
import { catalogSnapshot, compareSnapshots, snapshotSchema } from "../src/index.js"
import { run } from "./support.js"

const expected = useTestDatabase()
const drifted = useTestDatabase()

const snapshot = (url: string) => run(url, catalogSnapshot())

beforeAll(async () => {
  for (const url of [expected.url, drifted.url]) await run(url, applyCoderSchemaForTests())
})

describe("compareSnapshots (schema drift)", () => {
  it("finds no drift between two databases with the bundled schema", async () => {
    const drift = compareSnapshots(await snapshot(expected.url), await snapshot(drifted.url))
    expect(drift).toEqual({ missing: [], extra: [], changed: [] })
  })

  it("lists exactly an added column, a dropped index, a changed default and a new enum value", async () => {
    await sql(
      drifted.url,
      `ALTER TABLE api_keys ADD COLUMN note text;
       DROP INDEX api_keys_last_used_idx;
       ALTER TABLE users ALTER COLUMN avatar_url SET DEFAULT 'none';
       ALTER TYPE login_type ADD VALUE 'saml'`,
    )
    const before = await snapshot(expected.url)
    const drift = compareSnapshots(before, await snapshot(drifted.url))
    expect(drift.missing).toEqual([
      {
        kind: "index",
        name: "public.api_keys_last_used_idx",
        definition:
          "CREATE INDEX api_keys_last_used_idx ON public.api_keys USING btree (last_used DESC)",
      },
    ])
    expect(drift.extra).toEqual([
      { kind: "column", name: "public.api_keys.note", definition: "public.api_keys.note text" },
    ])
    expect(drift.changed).toEqual([
      {
        kind: "column",
        name: "public.users.avatar_url",
        expected: "public.users.avatar_url text not null default ''::text",
        actual: "public.users.avatar_url text not null default 'none'::text",
      },
      {
        kind: "type",
        name: "public.login_type",
        expected: expect.stringMatching(/^public\.login_type enum \(.*\)$/),
        actual: expect.stringMatching(/^public\.login_type enum \(.*, saml\)$/),
      },
    ])
    // The same objects, as lines, are what `migrate verify` compares.
    const lines = await run(expected.url, snapshotSchema())
    expect(lines).toHaveLength(before.length)
    expect(lines).toContain(
      "index CREATE INDEX api_keys_last_used_idx ON public.api_keys USING btree (last_used DESC)",
    )
  })

  it("reads the snapshot through Db with a named statement", async () => {
    const names: Array<string> = []
    await run(
      expected.url,
      Effect.gen(function* () {
        const db = yield* Db
        const remove = db.addObserver({ onQuery: (event) => names.push(event.name) })
        yield* catalogSnapshot()
        remove()
      }),
    )
    expect(names).toEqual(["SnapshotSchema"])
  })
})
