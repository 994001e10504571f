import { describe, expect, it } from "vitest"
import { rowHash, spread, spreadCount, streamKeys, uuid, word } from "../src/internal/random.js"

describe("the deterministic generator", () => {
  it("gives each stream its own key, the same for the same seed", () => {
    const keys = streamKeys(42)
    expect(streamKeys(42)).toEqual(keys)
    expect(new Set(Object.values(keys)).size).toBe(Object.keys(keys).length)
    expect(streamKeys(43).users).not.toBe(keys.users)
    // Seeds above 2^32 differ from their low 32 bits.
    expect(streamKeys(2 ** 32 + 42).users).not.toBe(keys.users)
  })

  it("makes version-4 UUIDs, unique per index", () => {
    const key = streamKeys(1).users
    const ids = Array.from({ length: 10_000 }, (_, i) => uuid(key, i))
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids.slice(0, 100))
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(uuid(key, 7)).toBe(ids[7])
  })

  it("gives word 0 unique per row, so ids built from it are unique", () => {
    const key = streamKeys(9).apiKeys
    const words = Array.from({ length: 10_000 }, (_, i) => word(rowHash(key, i), 0))
    expect(new Set(words).size).toBe(words.length)
  })

  it("spreads exactly the selected count, each prefix its fair share", () => {
    const total = 1000
    const selected = 377
    const chosen = Array.from({ length: total }, (_, i) => spread(i, selected, total))
    expect(chosen.filter(Boolean).length).toBe(selected)
    expect(chosen.slice(0, 500).filter(Boolean).length).toBe(spreadCount(0, 500, selected, total))
    expect(Math.abs(spreadCount(0, 500, selected, total) - selected / 2)).toBeLessThanOrEqual(1)
  })
})
