import { describe, expect, it } from "vitest"
import { extrapolate } from "../src/Extrapolate.js"
import { describeRecommendation, recommend } from "../src/Recommendations.js"
import type { Rehearsal, ScaleRun, Variant } from "../src/Rehearsal.js"
import { scaleRun } from "./scaleRun.js"

const realRows = { api_keys: 2_000_000 }
const scales = [0.01, 0.03, 0.1]

const variant = (
  name: Variant["name"],
  run: (scale: number, rows: number) => ScaleRun,
  fitScales: ReadonlyArray<number> = scales,
  rows: Readonly<Record<string, number>> = realRows,
): Variant => {
  const runs = (fitScales.length === 0 ? [1] : fitScales).map((s) =>
    run(s, Math.round((rows.api_keys ?? 0) * s)),
  )
  return { name, runs, estimates: extrapolate(runs, rows, fitScales) }
}

const rehearsal = (
  variants: ReadonlyArray<Variant>,
  rows: Readonly<Record<string, number>> = realRows,
): Rehearsal => ({
  databaseVersion: 370,
  targetVersion: 371,
  pending: [{ version: 371, name: "000371_api_key_scopes_array_allow_list.up.sql" }],
  realRows: rows,
  dataFrom: "statistics",
  fallbackColumns: [],
  purgeableApiKeys: Math.round((rows.api_keys ?? 0) * 0.9),
  scales: variants[0]?.runs.map((r) => r.scale) ?? [],
  lockTimeoutSeconds: 3,
  scratchServer: undefined,
  scaledFrom: undefined,
  drift: undefined,
  variants,
  cacheWarnings: [],
  seconds: 10,
})

const purgeOf = (r: Rehearsal) => recommend(r).find((x) => x.kind === "purge-api-keys")

describe("recommend", () => {
  it("recommends the purge when it shortens the time coderd is blocked, with both figures", () => {
    // The slow form: the UPDATE under ACCESS EXCLUSIVE walks every key, expired or not.
    const plan = rehearsal([
      variant("as-is", (s, n) => scaleRun(s, n)),
      variant("purged", (s, n) => scaleRun(s, n, { perRow: 2e-6 })),
    ])
    const purge = purgeOf(plan)
    expect(purge).toMatchObject({ purgeableRows: 1_800_000, totalRows: 2_000_000, version: 371 })
    expect(purge?.kind === "purge-api-keys" && purge.blockedSeconds).toBeCloseTo(40, 1)
    expect(purge?.kind === "purge-api-keys" && purge.blockedSecondsAfterPurge).toBeCloseTo(4, 1)
    expect(describeRecommendation(purge!)).toBe(
      "purge API keys expired over 7 days first: removes 1.8M of 2.0M rows; 000371 then blocks api_keys ≈ 4.0 s instead of ≈ 40 s, and runs ≈ 4.0 s instead of ≈ 40 s",
    )
  })

  it("recommends it when only the whole migration is shorter: the migration deletes the keys before it locks", () => {
    // The fast form: its own DELETE (10 µs a key) runs before the lock; the UPDATE after
    // it walks the survivors, as many either way.
    const plan = rehearsal([
      variant("as-is", (s, n) => scaleRun(s, n, { perRow: 2e-6, extraSeconds: n * 1e-5 })),
      variant("purged", (s, n) => scaleRun(s, n, { perRow: 2e-6 })),
    ])
    const purge = purgeOf(plan)
    expect(purge?.kind).toBe("purge-api-keys")
    if (purge?.kind !== "purge-api-keys") return
    expect(purge.blockedSecondsAfterPurge).toBeCloseTo(purge.blockedSeconds, 6)
    expect(purge.migrationSeconds).toBeCloseTo(24, 1)
    expect(purge.migrationSecondsAfterPurge).toBeCloseTo(4, 1)
  })

  it("does not recommend a purge that saves nothing measurable", () => {
    const plan = rehearsal([
      variant("as-is", (s, n) => scaleRun(s, n)),
      variant("purged", (s, n) => scaleRun(s, n, { perRow: 1.95e-5 })),
    ])
    expect(purgeOf(plan)).toBeUndefined()
  })

  it("takes a run at 100% without fractions as the measurement, and finds nothing to extrapolate", () => {
    const rows = { api_keys: 50_000 }
    const plan = rehearsal(
      [
        variant("as-is", (s, n) => scaleRun(s, n), [], rows),
        variant("purged", (s, n) => scaleRun(s, n, { perRow: 2e-6 }), [], rows),
      ],
      rows,
    )
    const estimate = plan.variants[0]!.estimates[0]!
    expect(estimate.seconds.growth).toBe("measured")
    expect(estimate.seconds.predicted).toBeCloseTo(50_000 * 2e-5 + 0.01, 9)
    expect(estimate.blocking[0]!.blocked.predicted).toBeCloseTo(1, 9)
    expect(estimate.blocking[0]!.measuredFull).toBeCloseTo(1, 9)
    const recommendations = recommend(plan)
    expect(recommendations.map((r) => r.kind)).toContain("purge-api-keys")
    expect(recommendations.map((r) => r.kind)).not.toContain("not-linear")
  })
})
