import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { migrationsDir, slow371Path } from "@coderops/coder-schema"
import { useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { lint, onBaseline } from "./harness.js"

const database = useTestDatabase()

describe("000371", () => {
  it("the slow original: rewritten twice, carrying expired keys", async () => {
    const dir = await onBaseline({
      "000371_api_key_scopes_array_allow_list": await readFile(slow371Path, "utf8"),
    })
    const report = await lint(database.url, dir, { scope: { kind: "from", version: 371 } })
    const rules = report.findings.map((f) => f.rule)
    expect(rules).toContain("table-rewritten-twice")
    expect(rules).toContain("purge-before-rewrite")
  })

  it("the bundled fast form: neither", async () => {
    const dir = await onBaseline({
      "000371_api_key_scopes_array_allow_list": await readFile(
        join(migrationsDir, "000371_api_key_scopes_array_allow_list.up.sql"),
        "utf8",
      ),
    })
    const report = await lint(database.url, dir, { scope: { kind: "from", version: 371 } })
    const rules = report.findings.map((f) => f.rule)
    expect(rules).not.toContain("table-rewritten-twice")
    expect(rules).not.toContain("purge-before-rewrite")
  })
})
