import * as Result from "effect/Result"
import { describe, expect, it } from "vitest"
import type { Migration, MigrationFile, MigrationSet } from "../src/index.js"
import { isApplied, makeMigrationPlan } from "../src/index.js"

const file = (name: string, noTransaction = false): MigrationFile => ({
  path: `/migrations/${name}`,
  name,
  sql: "SELECT 1;",
  checksum: "",
  empty: false,
  noTransaction,
})

const migration = (version: number, title: string, noTransaction = false): Migration => {
  const base = `${String(version).padStart(6, "0")}_${title}`
  return {
    version,
    title,
    up: file(`${base}.up.sql`, noTransaction),
    down: file(`${base}.down.sql`),
  }
}

/** Versions 1, 2, 5 (a gap), 7 (no transaction up), 8: no database, no files. */
const source: MigrationSet = {
  dir: "/migrations",
  migrations: [
    migration(1, "a"),
    migration(2, "b"),
    migration(5, "c"),
    migration(7, "index", true),
    migration(8, "d"),
  ],
  fixtures: new Map(),
}
const plan = makeMigrationPlan(source)
const versionsOf = (steps: ReadonlyArray<{ readonly version: number }>) =>
  steps.map((step) => step.version)

describe("MigrationPlan", () => {
  it("plans up from no version, from a version, and a limited number", () => {
    expect(versionsOf(plan.up(undefined))).toEqual([1, 2, 5, 7, 8])
    expect(versionsOf(plan.up(2))).toEqual([5, 7, 8])
    expect(versionsOf(plan.up(2, 1))).toEqual([5])
    expect(plan.up(8)).toEqual([])
    expect(plan.up(undefined, 1)).toEqual([
      {
        version: 1,
        direction: "up",
        name: "000001_a.up.sql",
        resultingVersion: 1,
        noTransaction: false,
      },
    ])
    expect(plan.up(5, 1)[0]?.noTransaction).toBe(true)
  })

  it("plans down newest first, each step naming the version it leaves", () => {
    expect(plan.down(undefined, 3)).toEqual([])
    const steps = plan.down(5, Number.POSITIVE_INFINITY)
    expect(versionsOf(steps)).toEqual([5, 2, 1])
    expect(steps.map((step) => step.resultingVersion)).toEqual([2, 1, undefined])
    expect(steps.every((step) => step.direction === "down")).toBe(true)
    expect(steps[0]?.name).toBe("000005_c.down.sql")
    expect(versionsOf(plan.down(8, 2))).toEqual([8, 7])
  })

  it("plans goto up or down to a version of the directory, and refuses others", () => {
    const succeed = (from: number | undefined, target: number) =>
      versionsOf(Result.getOrThrow(plan.goto(from, target)))
    expect(succeed(undefined, 5)).toEqual([1, 2, 5])
    expect(succeed(2, 7)).toEqual([5, 7])
    expect(succeed(8, 2)).toEqual([8, 7, 5])
    expect(succeed(5, 5)).toEqual([])
    const refused = plan.goto(2, 3)
    expect(Result.isFailure(refused)).toBe(true)
    if (Result.isFailure(refused))
      expect(refused.failure).toMatchObject({
        _tag: "InvalidMigrationRequest",
        reason: "unknown-target",
        version: 3,
        choices: [1, 2, 5, 7, 8],
        moreChoices: false,
      })
  })

  it("says which versions a human forces after a dirty failure", () => {
    expect(plan.dirtyError(undefined)).toBeUndefined()
    expect(plan.dirtyError({ version: 5, dirty: false })).toBeUndefined()
    expect(plan.dirtyError({ version: 5, dirty: true })).toMatchObject({
      _tag: "DatabaseDirty",
      version: 5,
      versionIfCompleted: 5,
      versionIfNotCompleted: 2,
    })
    expect(plan.dirtyError({ version: 1, dirty: true })).toMatchObject({
      versionIfNotCompleted: -1,
    })
    // golang-migrate's dirty "no version": the first down failed.
    expect(plan.dirtyError({ version: -1, dirty: true })).toMatchObject({
      versionIfCompleted: -1,
      versionIfNotCompleted: 1,
    })
  })

  it("refuses a database version or a force target the directory lacks", () => {
    expect(plan.unknownVersionError(undefined)).toBeUndefined()
    expect(plan.unknownVersionError(5)).toBeUndefined()
    expect(plan.unknownVersionError(6)).toMatchObject({
      reason: "unknown-database-version",
      version: 6,
    })
    expect(plan.forceError(-1)).toBeUndefined()
    expect(plan.forceError(7)).toBeUndefined()
    expect(plan.forceError(3)).toMatchObject({ reason: "unknown-force-target", version: 3 })
  })

  it("knows the version before each and the file of each step", () => {
    expect(plan.previousOf(5)).toBe(2)
    expect(plan.previousOf(1)).toBeUndefined()
    expect(plan.fileOf({ version: 7, direction: "up" }).noTransaction).toBe(true)
    expect(plan.fileOf({ version: 7, direction: "down" }).name).toBe("000007_index.down.sql")
  })
})

describe("isApplied", () => {
  it("counts what is below the version, and the version itself unless it is dirty", () => {
    expect(isApplied(undefined, 1)).toBe(false)
    expect(isApplied({ version: 5, dirty: false }, 2)).toBe(true)
    expect(isApplied({ version: 5, dirty: false }, 5)).toBe(true)
    expect(isApplied({ version: 5, dirty: true }, 5)).toBe(false)
    expect(isApplied({ version: 5, dirty: true }, 2)).toBe(true)
    expect(isApplied({ version: 5, dirty: false }, 7)).toBe(false)
  })
})
