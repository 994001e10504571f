import { describe, expect, it } from "vitest"
import { fitCost, scalesLinearly } from "../src/Fit.js"

describe("fitCost", () => {
  it("extrapolates a linear cost and says it is linear", () => {
    // 0.2 s fixed + 2 µs a row, measured at 1%, 3% and 10% of 2M rows with a little noise.
    const points = [
      { rows: 20_000, seconds: 0.2 + 0.04 * 1.02 },
      { rows: 60_000, seconds: 0.2 + 0.12 * 0.98 },
      { rows: 200_000, seconds: 0.2 + 0.4 * 1.01 },
    ]
    const fit = fitCost(points, 2_000_000)
    expect(fit.predicted).toBeGreaterThan(4.0)
    expect(fit.predicted).toBeLessThan(4.4)
    expect(fit.r2).toBeGreaterThan(0.99)
    expect(fit.standardError).toBeDefined()
    expect(fit.growth).toBe("linear")
    expect(scalesLinearly(fit)).toBe(true)
  })

  it("says plainly when a cost grows faster than the rows", () => {
    const points = [1, 3, 10].map((k) => ({ rows: k * 10_000, seconds: 0.01 * k * k }))
    const fit = fitCost(points, 1_000_000)
    expect(fit.logLogSlope).toBeCloseTo(2, 5)
    expect(fit.growth).toBe("superlinear")
    expect(scalesLinearly(fit)).toBe(false)
  })

  it("a cost that does not grow is constant, whatever its noise", () => {
    const points = [
      { rows: 10, seconds: 0.001 },
      { rows: 30, seconds: 0.003 },
      { rows: 100, seconds: 0.002 },
    ]
    expect(fitCost(points, 10_000).growth).toBe("constant")
    // Jitter of a few milliseconds is not extrapolated (a line through it would say 0.2 s).
    expect(fitCost(points, 10_000).predicted).toBe(0.003)
    const flat = [10, 30, 100].map((rows) => ({ rows, seconds: 0.5 }))
    const fit = fitCost(flat, 10_000)
    expect(fit.growth).toBe("constant")
    expect(fit.predicted).toBeCloseTo(0.5, 6)
    expect(fit.r2).toBe(1)
  })

  it("points measured at the target size are the measurement, not an extrapolation", () => {
    const fit = fitCost([{ rows: 50_000, seconds: 1.25 }], 50_000)
    expect(fit.growth).toBe("measured")
    expect(fit.predicted).toBe(1.25)
    expect(fit.standardError).toBeUndefined()
    expect(scalesLinearly(fit)).toBe(true)
    // The same point short of the target is a guess.
    expect(fitCost([{ rows: 5_000, seconds: 1.25 }], 50_000).growth).not.toBe("measured")
  })

  it("two points fit exactly and have no uncertainty; none predict 0", () => {
    const fit = fitCost(
      [
        { rows: 100, seconds: 1 },
        { rows: 200, seconds: 2 },
      ],
      1000,
    )
    expect(fit.predicted).toBeCloseTo(10, 6)
    expect(fit.standardError).toBeUndefined()
    expect(fitCost([], 1000).predicted).toBe(0)
  })
})
