import { formatGoDuration } from "@coderops/db-core"
import * as Duration from "effect/Duration"
import { describe, expect, it, vi } from "vitest"
import {
  defaultProgressIntervalMs,
  describeProgress,
  formatElapsed,
  ProgressLine,
  progressIntervalMs,
} from "../src/Progress.js"

/** A stand-in for stderr that records what is written, and a clock the test moves. */
const fakeStream = (isTTY: boolean, columns?: number) => {
  const writes: Array<string> = []
  return { writes, stream: { isTTY, columns, write: (text: string) => writes.push(text) } }
}

const clock = () => {
  let now = 0
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

describe("ProgressLine off a terminal", () => {
  it("writes a plain line at most every interval, the first after one interval", () => {
    const { writes, stream } = fakeStream(false)
    const time = clock()
    const line = new ProgressLine({ stream, intervalMs: 5000, now: time.now })
    line.update("a")
    time.advance(4999)
    line.update("b")
    expect(writes).toEqual([])
    time.advance(1)
    line.update("c")
    time.advance(1000)
    line.update("d")
    time.advance(4000)
    line.update("e")
    expect(writes).toEqual(["c\n", "e\n"])
    line.log("kept")
    line.done()
    expect(writes).toEqual(["c\n", "e\n", "kept\n"])
  })

  it("with an interval of 0 writes every update", () => {
    const { writes, stream } = fakeStream(false)
    const line = new ProgressLine({ stream, intervalMs: 0, now: () => 0 })
    line.update("a")
    line.update("b")
    expect(writes).toEqual(["a\n", "b\n"])
  })

  it("writes nothing when disabled (--json)", () => {
    const { writes, stream } = fakeStream(true)
    const line = new ProgressLine({ stream, enabled: false, intervalMs: 0 })
    line.update("a")
    line.log("b")
    line.done()
    expect(writes).toEqual([])
  })
})

describe("ProgressLine on a terminal", () => {
  it("rewrites one line in place, without escape codes, and clears it", () => {
    const { writes, stream } = fakeStream(true, 40)
    const time = clock()
    const line = new ProgressLine({ stream, now: time.now })
    line.update("copying 10 rows")
    time.advance(100)
    line.update("copying 2 rows")
    expect(writes).toEqual(["\rcopying 10 rows", "\rcopying 2 rows "])
    line.log("table done")
    expect(writes.slice(2)).toEqual([`\r${" ".repeat(14)}\r`, "table done\n"])
    time.advance(100)
    line.update("next")
    line.done()
    expect(writes.slice(4)).toEqual(["\rnext", "\r    \r"])
    expect(writes.join("")).not.toContain("\u001b")
  })

  it("redraws at most every 100 ms, and shows the last update after the pause", async () => {
    vi.useFakeTimers()
    try {
      const { writes, stream } = fakeStream(true, 80)
      const time = clock()
      const line = new ProgressLine({ stream, now: time.now })
      line.update("1")
      time.advance(30)
      line.update("2")
      line.update("3")
      expect(writes).toEqual(["\r1"])
      time.advance(70)
      vi.advanceTimersByTime(70)
      expect(writes).toEqual(["\r1", "\r3"])
      line.done()
    } finally {
      vi.useRealTimers()
    }
  })

  it("cuts a line to the terminal's width, so that it never wraps", () => {
    const { writes, stream } = fakeStream(true, 20)
    const line = new ProgressLine({ stream, now: () => 0 })
    line.update("x".repeat(50))
    expect(writes[0]).toBe(`\r${"x".repeat(18)}…`)
  })
})

describe("progress wording", () => {
  it("says done of total, the rate and the time left", () => {
    expect(describeProgress({ done: 4000, total: 10000, seconds: 2, unit: "keys" })).toBe(
      "4,000 of 10,000 keys (40%), 2,000 keys/s, about 3.0s left",
    )
    expect(describeProgress({ done: 0, total: 10000, seconds: 0, unit: "keys" })).toBe(
      "0 of 10,000 keys (0%)",
    )
    expect(describeProgress({ done: 500, total: undefined, seconds: 1, unit: "rows" })).toBe(
      "500 rows, 500 rows/s",
    )
    expect(formatElapsed(2.46)).toBe("2.5s")
    expect(formatElapsed(185.4)).toBe("3m5s")
  })

  it("takes the interval from CODEROPS_PROGRESS_INTERVAL, warning of a value that is not a duration", () => {
    const warnings: Array<string> = []
    const warn = (text: string) => warnings.push(text)
    expect(progressIntervalMs({}, warn)).toBe(defaultProgressIntervalMs)
    expect(progressIntervalMs({ CODEROPS_PROGRESS_INTERVAL: "200ms" }, warn)).toBe(200)
    expect(progressIntervalMs({ CODEROPS_PROGRESS_INTERVAL: "0" }, warn)).toBe(0)
    expect(warnings).toEqual([])
    expect(progressIntervalMs({ CODEROPS_PROGRESS_INTERVAL: "soon" }, warn)).toBe(
      defaultProgressIntervalMs,
    )
    expect(warnings).toEqual([expect.stringContaining('CODEROPS_PROGRESS_INTERVAL: "soon"')])
    // The interval it falls back to, as the default says it.
    const every = formatGoDuration(Duration.millis(defaultProgressIntervalMs))
    expect(warnings[0]!.endsWith(`; progress lines every ${every}`)).toBe(true)
  })
})
