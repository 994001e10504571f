import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { readCatalog } from "../src/internal/faithful/catalog.js"

const database = useTestDatabase()

describe("readCatalog", () => {
  it("finds the columns an expression index reads, whatever characters their names hold", async () => {
    await sql(
      database.url,
      `CREATE TABLE odd ("x+y" text, "a.b" text, ab text, "Mixed" text, id int, user_id int);
       CREATE UNIQUE INDEX odd_sum ON odd (lower("x+y"));
       CREATE UNIQUE INDEX odd_dot ON odd (lower(ab));
       CREATE UNIQUE INDEX odd_mixed ON odd (upper("Mixed"), (user_id + 1));`,
    )
    const [odd] = await run(database.url, readCatalog(["odd"]))
    const columnsOf = (name: string) => odd!.uniques.find((u) => u.name === name)?.columns
    expect(columnsOf("odd_sum")).toEqual(["x+y"])
    // "a.b" is no regular expression: lower(ab) does not read it.
    expect(columnsOf("odd_dot")).toEqual(["ab"])
    // user_id, not id, which is only part of its name.
    expect(columnsOf("odd_mixed")).toEqual(["Mixed", "user_id"])
  })
})
