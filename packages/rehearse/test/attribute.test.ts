import { describe, expect, it } from "vitest"
import { attributeToLocks } from "../src/internal/attribute.js"
import type { TableBlocking } from "../src/Probe.js"

const blocking = (
  readIntervals: ReadonlyArray<readonly [number, number]>,
  writeIntervals: ReadonlyArray<readonly [number, number]>,
): TableBlocking => ({
  table: "api_keys",
  blockedSeconds: 0,
  longestSeconds: 0,
  longestReadSeconds: 0,
  longestWriteSeconds: 0,
  probes: 10,
  intervals: [...readIntervals, ...writeIntervals],
  readIntervals,
  writeIntervals,
})

describe("attributeToLocks", () => {
  it("keeps only the waits while a lock that blocks them was held", () => {
    const [b] = attributeToLocks(
      // A slow read before any lock (a busy server), one during the lock; a write during it.
      [
        blocking(
          [
            [0.1, 0.3],
            [1.0, 3.0],
          ],
          [[1.5, 3.0]],
        ),
      ],
      [
        {
          relation: "api_keys",
          mode: "AccessExclusiveLock",
          statement: 1,
          fromSeconds: 0.9,
          toSeconds: 2.9,
        },
        {
          relation: "users",
          mode: "AccessExclusiveLock",
          statement: 1,
          fromSeconds: 0,
          toSeconds: 5,
        },
      ],
    )
    expect(b!.intervals).toEqual([[1.0, 2.9]])
    expect(b!.blockedSeconds).toBeCloseTo(1.9, 9)
    expect(b!.longestReadSeconds).toBeCloseTo(1.9, 9)
    expect(b!.longestWriteSeconds).toBeCloseTo(1.4, 9)
  })

  it("a SHARE lock blocks writes, not reads", () => {
    const [b] = attributeToLocks(
      [blocking([[1.0, 2.0]], [[1.0, 2.0]])],
      [{ relation: "api_keys", mode: "ShareLock", statement: 0, fromSeconds: 0, toSeconds: 2 }],
    )
    expect(b!.readIntervals).toEqual([])
    expect(b!.writeIntervals).toEqual([[1.0, 2.0]])
    expect(b!.blockedSeconds).toBe(1)
  })
})
