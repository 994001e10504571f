import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { runDoctor } from "../src/index.js"

const database = useTestDatabase()

describe("runDoctor", () => {
  it("passes every check against a database the user owns, each with its facts", async () => {
    const report = await run(database.url, runDoctor())
    expect(report.ok).toBe(true)
    expect(report.source).toBe("explicit")
    expect(report.checks.map((check) => [check.name, check.status])).toEqual([
      ["connectivity", "pass"],
      ["server version", "pass"],
      ["create in schema", "pass"],
      ["table ownership", "pass"],
      ["session visibility", "pass"],
      ["create database", "pass"],
      ["advisory locks", "pass"],
    ])
    expect(report.checks[0]!.finding).toMatchObject({ _tag: "Connected", target: report.target })
    expect(report.checks[2]!.finding).toMatchObject({
      _tag: "CreateInSchema",
      schema: "public",
      allowed: true,
    })
  })

  it("reports a role's missing privileges as findings: fail or warn, with user and schema", async () => {
    await sql(
      database.url,
      `DROP ROLE IF EXISTS inspect_weak;
       CREATE ROLE inspect_weak LOGIN PASSWORD 'weak-pass';
       REVOKE CREATE ON SCHEMA public FROM PUBLIC;
       CREATE TABLE owned_by_admin (id int);`,
    )
    const url = new URL(database.url)
    url.username = "inspect_weak"
    url.password = "weak-pass"
    const report = await run(url.toString(), runDoctor())
    expect(report.ok).toBe(false)
    const byName = new Map(report.checks.map((check) => [check.name, check]))
    expect(byName.get("create in schema")).toEqual({
      name: "create in schema",
      status: "fail",
      finding: { _tag: "CreateInSchema", user: "inspect_weak", schema: "public", allowed: false },
    })
    expect(byName.get("table ownership")).toMatchObject({
      status: "fail",
      finding: { _tag: "TableOwnership", foreignTables: ["owned_by_admin"] },
    })
    expect(byName.get("create database")).toMatchObject({
      status: "warn",
      finding: { _tag: "CreateDatabase", user: "inspect_weak", allowed: false },
    })
  })

  it("a database it cannot reach is a failed check carrying the error; the rest are skipped", async () => {
    const url = new URL(database.url)
    url.pathname = "/no_such_database_here"
    const report = await run(url.toString(), runDoctor())
    expect(report.ok).toBe(false)
    expect(report.checks[0]).toMatchObject({
      name: "connectivity",
      status: "fail",
      finding: { _tag: "Failed", error: { _tag: "DatabaseNotFound" } },
    })
    expect(report.checks.slice(1).map((check) => [check.status, check.finding._tag])).toEqual([
      ["skip", "NotConnected"],
      ["skip", "NotConnected"],
    ])
  })
})
