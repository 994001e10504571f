import { Db } from "@coderops/db-core"
import { loadMigrations } from "@coderops/migrations"
import { run } from "@coderops/test-db"
import { sql, useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { measuredWhole, rehearseMigrations } from "../src/Rehearsal.js"
import { scaledMemory } from "../src/ScratchMemory.js"
import { directoryWith371, seededAt370, slow371Path } from "./harness.js"

const database = useTestDatabase()

describe("rehearseMigrations", () => {
  it("measures 000371 per statement at each scale, with and without a purge first", async () => {
    const dir = await directoryWith371(slow371Path)
    const rehearsal = await run(
      database.url,
      Effect.gen(function* () {
        yield* seededAt370(20_000)
        // Drift: an index the migrations do not make.
        const db = yield* Db
        yield* db.script("TestDriftIndex", "CREATE INDEX api_keys_drift ON api_keys (created_at)")
        const source = yield* loadMigrations(dir)
        return yield* rehearseMigrations(source, { database: true, scales: [0.1, 0.3, 1] })
      }),
    )
    expect(rehearsal.databaseVersion).toBe(370)
    expect(rehearsal.drift?.extra.map((o) => `${o.kind} ${o.name}`)).toEqual([
      "index public.api_keys_drift",
    ])
    expect(rehearsal.drift?.missing).toEqual([])
    expect(rehearsal.drift?.changed).toEqual([])
    expect(rehearsal.pending.map((p) => p.version)).toEqual([371])
    expect(rehearsal.realRows.api_keys).toBeGreaterThan(15_000)
    expect(rehearsal.purgeableApiKeys).toBeGreaterThan(15_000)
    expect(rehearsal.variants.map((v) => v.name)).toEqual(["as-is", "purged"])
    const [asIs, purged] = rehearsal.variants
    // On a server of its own, never the database's: its cache scaled with the rows.
    expect(rehearsal.scratchServer).toBeUndefined()
    const scaledFrom = rehearsal.scaledFrom!
    expect(scaledFrom.sharedBuffersBytes).toBe(
      Number(
        (
          await sql(database.url, "SELECT pg_size_bytes(current_setting('shared_buffers')) AS b")
        )[0]!.b,
      ),
    )
    expect(asIs!.runs.map((r) => r.cache.sharedBuffersBytes)).toEqual(
      [0.1, 0.3, 1].map((scale) => scaledMemory(scaledFrom, scale).sharedBuffersBytes),
    )
    // The parents the keys need scale with them.
    expect(asIs!.runs[0]!.rows.users).toBeLessThan(asIs!.runs.at(-1)!.rows.users!)
    const run1 = asIs!.runs.at(-1)!.migrations[0]!
    expect(run1.failed).toBeUndefined()
    const update = run1.statements.find((s) => s.text.startsWith("UPDATE api_keys SET scopes"))!
    expect(update.rows).toBe(asIs!.runs.at(-1)!.rows.api_keys)
    expect(update.walBytes).toBeGreaterThan(0)
    expect(run1.statements[0]!.locks).toContainEqual({
      relation: "api_keys",
      mode: "AccessExclusiveLock",
    })
    // Held until the commit: the end of the run, on the timeline the probes share.
    expect(run1.locks.find((l) => l.relation === "api_keys")!.toSeconds).toBeCloseTo(
      run1.statements[0]!.startSeconds + run1.seconds,
      1,
    )
    const blockedAsIs = asIs!.runs
      .at(-1)!
      .migrations[0]!.blocking.find((b) => b.table === "api_keys")!
    const blockedPurged = purged!.runs
      .at(-1)!
      .migrations[0]!.blocking.find((b) => b.table === "api_keys")!
    expect(purged!.runs.at(-1)!.purgedRows).toBeGreaterThan(0)
    expect(blockedAsIs.blockedSeconds).toBeGreaterThan(blockedPurged.blockedSeconds)
    const estimate = asIs!.estimates[0]!
    expect(
      estimate.blocking.find((b) => b.table === "api_keys")!.blocked.predicted,
    ).toBeGreaterThan(0)
    expect(estimate.statements.length).toBe(run1.statements.length)
  }, 240_000)
})

describe("rehearseMigrations on small tables", () => {
  const small = useTestDatabase()

  it("rehearses them whole by default: measured at 100%, not extrapolated from a few hundred rows", async () => {
    const dir = await directoryWith371(slow371Path)
    const rehearsal = await run(
      small.url,
      Effect.gen(function* () {
        yield* seededAt370(3_000)
        const source = yield* loadMigrations(dir)
        return yield* rehearseMigrations(source, { database: true, comparePurge: false })
      }),
    )
    expect(measuredWhole(rehearsal)).toBe(true)
    expect(rehearsal.scales).toEqual([1])
    const [asIs] = rehearsal.variants
    expect(asIs!.runs.map((r) => r.rows.api_keys)).toEqual([rehearsal.realRows.api_keys])
    const estimate = asIs!.estimates[0]!
    const measured = asIs!.runs[0]!.migrations[0]!
    expect(estimate.seconds.growth).toBe("measured")
    expect(estimate.seconds.predicted).toBe(measured.seconds)
    expect(estimate.measuredFullSeconds).toBe(measured.seconds)
    // Scales given are the user's: no whole run unless asked.
    const scaled = await run(
      small.url,
      Effect.gen(function* () {
        const source = yield* loadMigrations(dir)
        return yield* rehearseMigrations(source, {
          database: true,
          comparePurge: false,
          scales: [0.5],
        })
      }),
    )
    expect(measuredWhole(scaled)).toBe(false)
    expect(scaled.scales).toEqual([0.5])
  }, 120_000)
})
