import { sql, useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { Db, requireTables, withRequiredTables } from "../src/index.js"
import { failureOf, runWithDb } from "./support.js"

const database = useTestDatabase()

const readBoth = Db.use((db) => db.query("ReadBoth", "SELECT * FROM present, absent"))

describe("required tables", () => {
  it("a 42P01 on a required table becomes SchemaMissing naming the missing ones, in order", async () => {
    await sql(database.url, "CREATE TABLE IF NOT EXISTS present (id int)")
    const error = await failureOf(
      database.url,
      readBoth.pipe(withRequiredTables(["absent", "present", "also_absent"])),
    )
    expect(error).toMatchObject({
      _tag: "SchemaMissing",
      database: database.name,
      missing: ["absent", "also_absent"],
    })
    expect(error.message).toBe(
      `database "${database.name}" at ${error._tag === "SchemaMissing" ? error.target : ""} has no tables absent, also_absent`,
    )
  })

  it("a 42P01 on a relation the program does not declare stays as it was", async () => {
    await sql(database.url, "CREATE TABLE IF NOT EXISTS present (id int)")
    const error = await failureOf(database.url, readBoth.pipe(withRequiredTables(["present"])))
    expect(error).toMatchObject({ _tag: "QueryFailed", sqlState: "42P01" })
  })

  it("requireTables passes when every table is there", async () => {
    await sql(database.url, "CREATE TABLE IF NOT EXISTS present (id int)")
    await runWithDb(database.url, requireTables(["present"]))
    const error = await failureOf(database.url, requireTables(["present", "absent"]))
    expect(error).toMatchObject({ _tag: "SchemaMissing", missing: ["absent"] })
  })
})
