// Deterministic randomness, counter-based: every value is a pure function of (seed, stream,
// row index, word), so ids can be recomputed wherever another table references them and
// nothing is kept in memory per row.

/** lowbias32 (Chris Wellons): a bijection on 32-bit integers with good avalanche. */
const mix32 = (x: number): number => {
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

/** One independent stream of values per kind of row. */
const streams = [
  "organizations",
  "users",
  "memberships",
  "prebuildsGroups",
  "templates",
  "versions",
  "jobs",
  "presets",
  "workspaces",
  "apiKeys",
  // Appended, so that the streams above keep their keys.
  "builds",
  "buildJobs",
] as const

export type StreamKeys = Readonly<Record<(typeof streams)[number], number>>

/** The key of every stream for a seed (any safe integer). */
export const streamKeys = (seed: number): StreamKeys => {
  const high = Math.floor(seed / 2 ** 32) | 0
  return Object.fromEntries(
    streams.map((stream, n) => [
      stream,
      mix32(mix32((seed >>> 0) ^ Math.imul(n + 1, 0x9e3779b9)) + high),
    ]),
  ) as StreamKeys
}

/**
 * The hash of one row. For indexes below 2^32 it is unique per (stream key, index):
 * key + index·odd is injective and mix32 is a bijection, so `word(row, 0)` is unique too.
 */
export const rowHash = (key: number, index: number) =>
  mix32((key + Math.imul(index, 0x9e3779b1)) >>> 0)

/** The k-th 32-bit random word of a row. */
export const word = (row: number, k: number) => mix32((row + Math.imul(k + 1, 0x85ebca77)) >>> 0)

/** A value in [0, n) from a 32-bit word. */
export const below = (w: number, n: number) => Math.floor((w / 2 ** 32) * n)

const hex8 = (w: number) => w.toString(16).padStart(8, "0")

/** A version-4 UUID unique per (stream key, index); see rowHash. */
export const uuid = (key: number, index: number) => {
  const row = rowHash(key, index)
  const a = word(row, 0)
  const b = ((word(row, 1) & 0xffff0fff) | 0x4000) >>> 0
  const c = ((word(row, 2) & 0x3fffffff) | 0x80000000) >>> 0
  const d = hex8(word(row, 3))
  const bh = hex8(b)
  const ch = hex8(c)
  return `${hex8(a)}-${bh.slice(0, 4)}-${bh.slice(4)}-${ch.slice(0, 4)}-${ch.slice(4)}${d}`
}

/**
 * Whether item i of `total` is one of `selected` items spread evenly over them: exactly
 * `selected` items qualify, and any prefix holds its fair share.
 */
export const spread = (i: number, selected: number, total: number) =>
  Math.floor(((i + 1) * selected) / total) > Math.floor((i * selected) / total)

/** How many of items [start, end) `spread` selects. */
export const spreadCount = (start: number, end: number, selected: number, total: number) =>
  Math.floor((end * selected) / total) - Math.floor((start * selected) / total)
