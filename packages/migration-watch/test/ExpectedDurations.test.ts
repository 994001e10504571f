import { describe, expect, it } from "vitest"
import { expectationFor, expectedDurationsOf, InvalidPlan } from "../src/ExpectedDurations.js"

const rehearsal = {
  variants: [
    {
      name: "as-is",
      estimates: [
        { version: 371, seconds: { predicted: 48.2 }, measuredFullSeconds: null },
        { version: 372, seconds: { predicted: 30 }, measuredFullSeconds: 2.5 },
        { version: 373, seconds: { predicted: "n/a" } },
      ],
    },
    { name: "purged", estimates: [{ version: 371, seconds: { predicted: 2 } }] },
  ],
}
const running = {
  version: 371,
  file: "000371_x.up.sql",
  pendingIndex: 1,
  pendingCount: 4,
  statement: undefined,
}

describe("expected durations from a rehearsal", () => {
  it("reads the as-is estimates, measured at 100% where it ran there, from a rehearsal or a plan", () => {
    const expected = expectedDurationsOf(rehearsal, "r.json")
    expect(expected).toEqual(
      new Map([
        [371, 48.2],
        [372, 2.5],
      ]),
    )
    expect(expectedDurationsOf({ rehearsal }, "plan.json")).toEqual(expected)
  })

  it("refuses a file without estimates, naming it", () => {
    const refused = expectedDurationsOf({ lint: {} }, "plan.json")
    expect(refused).toBeInstanceOf(InvalidPlan)
    expect((refused as InvalidPlan).message).toContain("plan.json")
  })

  it("expects the running migration's time and the sum of those after it, counting what it cannot", () => {
    const expected = expectedDurationsOf(rehearsal, "r.json") as ReadonlyMap<number, number>
    expect(expectationFor(running, [371, 372, 373, 374], expected)).toEqual({
      runningSeconds: 48.2,
      remainingSeconds: 2.5,
      unknown: 2,
    })
    expect(expectationFor({ ...running, version: 374 }, [374], expected)).toEqual({
      runningSeconds: undefined,
      remainingSeconds: 0,
      unknown: 0,
    })
  })
})
