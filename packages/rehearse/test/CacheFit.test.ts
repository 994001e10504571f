import { describe, expect, it } from "vitest"
import { cacheWarnings } from "../src/CacheFit.js"

const MB = 1 << 20
const run = (scale: number, apiKeys: number, users: number) => ({
  scale,
  cache: {
    tableBytes: { api_keys: apiKeys, users },
    sharedBuffersBytes: 128 * MB,
    fullSharedBuffersBytes: 128 * MB,
  },
})

describe("cacheWarnings", () => {
  it("names a table that fits shared_buffers at the largest scale but not at 100%", () => {
    // 2M keys: 47 MB at 10% fits 128 MB, ≈ 470 MB at 100% does not; users stay small.
    const warnings = cacheWarnings([
      run(0.01, 5 * MB, MB),
      run(0.1, 47 * MB, 2 * MB),
      run(1, 470 * MB, 20 * MB),
    ])
    expect(warnings).toEqual([
      {
        table: "api_keys",
        scale: 0.1,
        bytes: 47 * MB,
        fullBytes: 470 * MB,
        sharedBuffersBytes: 128 * MB,
      },
    ])
  })

  it("says nothing when the table outgrows the cache already at a rehearsed scale, or never", () => {
    expect(cacheWarnings([run(0.1, 200 * MB, MB), run(0.3, 600 * MB, MB)])).toEqual([])
    expect(cacheWarnings([run(0.1, 5 * MB, MB)])).toEqual([])
    expect(cacheWarnings([run(1, 470 * MB, MB)])).toEqual([])
  })

  it("says nothing when the scratch memory was scaled with the rows: the table outgrew its cache as at 100%", () => {
    // 10% of the rows on 10% of 128 MB: 47 MB does not fit 12.8 MB, as 470 MB does not fit 128 MB.
    const scaled = {
      scale: 0.1,
      cache: {
        tableBytes: { api_keys: 47 * MB },
        sharedBuffersBytes: 12.8 * MB,
        fullSharedBuffersBytes: 128 * MB,
      },
    }
    expect(cacheWarnings([scaled])).toEqual([])
    // 10% of 8 GB: 47 MB fits, and 470 MB fits the real server too.
    const large = {
      ...scaled,
      cache: { ...scaled.cache, sharedBuffersBytes: 800 * MB, fullSharedBuffersBytes: 8000 * MB },
    }
    expect(cacheWarnings([large])).toEqual([])
  })
})
