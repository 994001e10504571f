import type { LockSpan } from "../InstrumentedRun.js"
import { type TableBlocking, union } from "../Probe.js"

/** Modes that block a plain read (ACCESS SHARE) and those that block a write (ROW EXCLUSIVE). */
const blocksRead = new Set(["AccessExclusiveLock"])
const blocksWrite = new Set([
  "ShareLock",
  "ShareRowExclusiveLock",
  "ExclusiveLock",
  "AccessExclusiveLock",
])

type Interval = readonly [number, number]

const intersect = (a: ReadonlyArray<Interval>, b: ReadonlyArray<Interval>) =>
  a.flatMap(([a0, a1]) =>
    b.flatMap(([b0, b1]): ReadonlyArray<Interval> => {
      const start = Math.max(a0, b0)
      const end = Math.min(a1, b1)
      return end > start ? [[start, end]] : []
    }),
  )

/**
 * Keeps of each table's waits only the time the migration held a lock on it that blocks
 * that kind of probe: on a busy server a probe can be slow for other reasons (CPU, I/O),
 * and that is not the migration's doing. The lock's end is its statement's end at the
 * latest: the commit that releases it wakes the probes.
 */
export const attributeToLocks = (
  blocking: ReadonlyArray<TableBlocking>,
  locks: ReadonlyArray<LockSpan>,
): ReadonlyArray<TableBlocking> =>
  blocking.map((b) => {
    const held = (modes: ReadonlySet<string>) =>
      union(
        locks
          .filter((l) => l.relation === b.table && modes.has(l.mode))
          .map((l) => [l.fromSeconds, l.toSeconds] as const),
      )
    const reads = union(intersect(b.readIntervals, held(blocksRead)))
    const writes = union(intersect(b.writeIntervals, held(blocksWrite)))
    const intervals = union([...reads, ...writes])
    const longest = (list: ReadonlyArray<Interval>) =>
      Math.max(0, ...list.map(([start, end]) => end - start))
    return {
      ...b,
      blockedSeconds: intervals.reduce((sum, [start, end]) => sum + (end - start), 0),
      longestSeconds: longest(intervals),
      longestReadSeconds: longest(reads),
      longestWriteSeconds: longest(writes),
      intervals,
      readIntervals: reads,
      writeIntervals: writes,
    }
  })
