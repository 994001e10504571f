import { Db, type ServerParameters } from "@coderops/db-core"
import * as Effect from "effect/Effect"

/**
 * The memory settings that decide what a migration finds in memory and when it checkpoints:
 * the server's the rehearsal stands in for, in bytes.
 */
export interface ServerMemory {
  readonly sharedBuffersBytes: number
  readonly workMemBytes: number
  readonly maintenanceWorkMemBytes: number
  readonly maxWalSizeBytes: number
}

/** Reads `Db`'s server's memory settings. */
export const readServerMemory = Effect.fn("ScratchMemory.read")(function* () {
  const db = yield* Db
  const [row] = yield* db.query<Record<string, string>>(
    "RehearseServerMemory",
    `SELECT pg_size_bytes(current_setting('shared_buffers')) AS shared_buffers,
            pg_size_bytes(current_setting('work_mem')) AS work_mem,
            pg_size_bytes(current_setting('maintenance_work_mem')) AS maintenance_work_mem,
            pg_size_bytes(current_setting('max_wal_size')) AS max_wal_size`,
  )
  return {
    sharedBuffersBytes: Number(row?.shared_buffers),
    workMemBytes: Number(row?.work_mem),
    maintenanceWorkMemBytes: Number(row?.maintenance_work_mem),
    maxWalSizeBytes: Number(row?.max_wal_size),
  } satisfies ServerMemory
})

const kB = 1024
const MB = 1024 * kB

/**
 * The least of each setting a scratch server gets, whatever the scale: PostgreSQL's minimum
 * (64 kB of work_mem, 1 MB of maintenance_work_mem, two 16 MB WAL segments), and 2 MB of
 * shared_buffers so that a few dozen sessions (the probes) never run out of buffers to pin.
 */
const floor = {
  sharedBuffersBytes: 2 * MB,
  workMemBytes: 64 * kB,
  maintenanceWorkMemBytes: 1 * MB,
  maxWalSizeBytes: 32 * MB,
} satisfies ServerMemory

/**
 * `memory` scaled with the rows: at 10% of the rows, 10% of the cache, so that what fits in
 * memory at a fraction is what fits at 100% on the real server (a table five times its
 * shared_buffers stays five times bigger), and checkpoints come as often per row.
 */
export const scaledMemory = (memory: ServerMemory, scale: number): ServerMemory => {
  const scaled = (key: keyof ServerMemory, unit = kB) =>
    Math.max(floor[key], Math.round((memory[key] * scale) / unit) * unit)
  return {
    // In pages of 8 kB, as the server counts them.
    sharedBuffersBytes: scaled("sharedBuffersBytes", 8 * kB),
    workMemBytes: scaled("workMemBytes"),
    maintenanceWorkMemBytes: scaled("maintenanceWorkMemBytes"),
    maxWalSizeBytes: Math.ceil(scaled("maxWalSizeBytes") / MB) * MB,
  }
}

/** The server parameters that set `memory` at a start. */
export const memoryParameters = (memory: ServerMemory): ServerParameters => ({
  shared_buffers: `${memory.sharedBuffersBytes / kB}kB`,
  work_mem: `${memory.workMemBytes / kB}kB`,
  maintenance_work_mem: `${memory.maintenanceWorkMemBytes / kB}kB`,
  max_wal_size: `${memory.maxWalSizeBytes / MB}MB`,
  min_wal_size: `${floor.maxWalSizeBytes / MB}MB`,
})
