import { describe, expect, it } from "vitest"
// The evaluator that draws the dashboard's pictures (apps/coderops/scripts): a dev tool, but
// a wrong rate or quantile would make every picture lie.
// @ts-expect-error: a plain ES module without type declarations
import { evaluate } from "../scripts/promql.mjs"

type Vector = Array<{ labels: Record<string, string>; value: number }>

const counter = (labels: Record<string, string>, points: Array<[number, number]>) => ({
  labels: { __name__: "c_total", ...labels },
  points,
})

describe("the dashboard pictures' PromQL evaluator", () => {
  it("computes rate and increase as Prometheus does, over counter resets", () => {
    // 1 per second, sampled every 2 s, with a reset at t=10 (a one-shot's new textfile).
    const series = [
      counter({ q: "a" }, [
        [2, 2],
        [4, 4],
        [6, 6],
        [8, 8],
        [10, 2],
        [12, 4],
      ]),
    ]
    const rate = evaluate("rate(c_total[8s])", series, 8, 4) as Vector
    // Samples at 2..8 (6 in 6 s) extrapolated to the 8 s window, but not below zero.
    expect(rate[0]!.value).toBeCloseTo(1, 5)
    const increase = evaluate("increase(c_total[8s])", series, 12, 4) as Vector
    // 6→8 (+2), reset to 2 (+2), 2→4 (+2): 6 in 6 s, extrapolated to 8 s.
    expect(increase[0]!.value).toBeCloseTo(8, 5)
  })

  it("sums by a label, and interpolates histogram_quantile within the bucket", () => {
    const bucket = (le: string, value: number) => ({
      labels: { __name__: "h_bucket", le, tx: "t" },
      points: [[10, value]] as Array<[number, number]>,
    })
    const series = [bucket("0.1", 50), bucket("1", 90), bucket("+Inf", 100)]
    const q = evaluate(
      "histogram_quantile(0.9, sum by (tx, le) (h_bucket))",
      series,
      10,
      5,
    ) as Vector
    expect(q).toEqual([{ labels: { tx: "t" }, value: 1 }])
    const median = evaluate(
      "histogram_quantile(0.7, sum by (le) (h_bucket))",
      series,
      10,
      5,
    ) as Vector
    // rank 70: 20 of the 40 between 0.1 and 1.
    expect(median[0]!.value).toBeCloseTo(0.55, 5)
  })

  it("refuses what it does not implement rather than drawing it wrong", () => {
    expect(() => evaluate("avg_over_time(c_total[1m])", [], 0, 1)).toThrow(/not implemented/)
  })
})
