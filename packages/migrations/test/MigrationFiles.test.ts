import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import { afterAll, describe, expect, it } from "vitest"
import { createMigration, loadMigrations } from "../src/index.js"

const dirs: Array<string> = []
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))
const folder = async () => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-create-"))
  dirs.push(dir)
  return dir
}

describe("createMigration", () => {
  it("refuses a directory that does not exist (a mistyped path), naming it, and makes nothing", async () => {
    const parent = await folder()
    const dir = join(parent, "migrationz")
    const refused = await Effect.runPromise(Effect.flip(createMigration(dir, "add_t")))
    expect(refused).toMatchObject({ _tag: "MigrationDirectoryMissing", dir })
    expect(refused.message).toContain(dir)
    expect(await readdir(parent)).toEqual([])
  })

  it("writes the next pair, with the directive when asked", async () => {
    const dir = await folder()
    const first = await Effect.runPromise(createMigration(dir, "add_t"))
    expect(first.version).toBe(1)
    expect(await readFile(first.up, "utf8")).toBe("-- add_t\n")
    expect(await readFile(first.down, "utf8")).toBe("-- undo add_t\n")
    const second = await Effect.runPromise(createMigration(dir, "index_t", { noTransaction: true }))
    expect(second).toMatchObject({ version: 2 })
    expect(await readFile(second.up, "utf8")).toMatch(/^-- coder:no-transaction\n/)
    const source = await Effect.runPromise(loadMigrations(dir))
    expect(source.migrations.map((m) => m.version)).toEqual([1, 2])
    expect(source.migrations[1]?.up.noTransaction).toBe(true)
  })

  it("gives creates at the same time different versions", async () => {
    const dir = await folder()
    const created = await Promise.all(
      ["a", "b", "c"].map((name) => Effect.runPromise(createMigration(dir, name))),
    )
    expect(created.map((c) => c.version).sort()).toEqual([1, 2, 3])
  })

  it("refuses a name that is not snake_case or too long, writing nothing", async () => {
    const dir = await folder()
    const refused = (name: string) => Effect.runPromise(Effect.flip(createMigration(dir, name)))
    expect(await refused("Add-Index")).toMatchObject({
      _tag: "InvalidMigrationName",
      reason: "not-snake-case",
    })
    const long = await refused("a".repeat(300))
    expect(long).toMatchObject({ _tag: "InvalidMigrationName", reason: "too-long" })
    expect(long.message).toContain("at most 239 fit in a file name")
    expect(await readdir(dir)).toEqual([])
  })
})
