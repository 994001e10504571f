import { describe, expect, it } from "vitest"
import { memoryParameters, scaledMemory } from "../src/ScratchMemory.js"

const MB = 1 << 20
const server = {
  sharedBuffersBytes: 128 * MB,
  workMemBytes: 4 * MB,
  maintenanceWorkMemBytes: 64 * MB,
  maxWalSizeBytes: 1024 * MB,
}

describe("scaledMemory", () => {
  it("gives a fraction of the rows the same fraction of memory, so the table-to-cache ratio holds", () => {
    const tenth = scaledMemory(server, 0.1)
    expect(tenth.sharedBuffersBytes).toBe(Math.round((128 * MB * 0.1) / 8192) * 8192)
    expect(tenth.maintenanceWorkMemBytes).toBe(Math.round((64 * MB * 0.1) / 1024) * 1024)
    expect(tenth.maxWalSizeBytes).toBe(103 * MB)
    expect(scaledMemory(server, 1)).toEqual(server)
  })

  it("never goes below what PostgreSQL accepts and the probes need", () => {
    const tiny = scaledMemory(server, 0.001)
    expect(tiny).toEqual({
      sharedBuffersBytes: 2 * MB,
      workMemBytes: 64 * 1024,
      maintenanceWorkMemBytes: 1 * MB,
      maxWalSizeBytes: 32 * MB,
    })
    expect(memoryParameters(tiny)).toEqual({
      shared_buffers: "2048kB",
      work_mem: "64kB",
      maintenance_work_mem: "1024kB",
      max_wal_size: "32MB",
      min_wal_size: "32MB",
    })
  })
})
