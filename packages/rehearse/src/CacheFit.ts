import { Db } from "@coderops/db-core"
import * as Effect from "effect/Effect"

/** The generated tables' sizes at one scale, and the cache they had. */
export interface CacheSizes {
  /** Table, indexes and TOAST, per table. */
  readonly tableBytes: Readonly<Record<string, number>>
  /** The scratch server's shared_buffers. */
  readonly sharedBuffersBytes: number
  /**
   * shared_buffers at 100%: the real server's when the scratch server's memory is scaled
   * with the rows, else the scratch server's own.
   */
  readonly fullSharedBuffersBytes: number
}

/**
 * A table that fitted the scratch server's shared_buffers at the largest rehearsed scale
 * below 100% but, at its size there scaled to 100%, does not fit shared_buffers at 100%:
 * statements that walk it or its indexes read and write through the operating system at
 * 100% and not below, so their per-row cost can grow past the extrapolation.
 */
export interface CacheWarning {
  readonly table: string
  /** The largest scale below 100%, and the table's size there. */
  readonly scale: number
  readonly bytes: number
  /** That size scaled to 100%. */
  readonly fullBytes: number
  readonly sharedBuffersBytes: number
}

/**
 * Reads the sizes of `tables` and shared_buffers, on the scratch database;
 * `fullSharedBuffersBytes` is the real server's when the scratch memory is scaled.
 */
export const readCacheSizes = Effect.fn("CacheFit.read")(function* (
  tables: ReadonlyArray<string>,
  fullSharedBuffersBytes?: number,
) {
  const db = yield* Db
  const rows = yield* db.query<{ table: string; bytes: string }>(
    "RehearseCacheSizes",
    `SELECT c.relname AS "table", pg_total_relation_size(c.oid) AS bytes
       FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1::text[])`,
    [tables],
  )
  const [shared] = yield* db.query<{ bytes: string }>(
    "RehearseSharedBuffers",
    "SELECT pg_size_bytes(current_setting('shared_buffers')) AS bytes",
  )
  return {
    tableBytes: Object.fromEntries(rows.map((r) => [r.table, Number(r.bytes)])),
    sharedBuffersBytes: Number(shared?.bytes ?? 0),
    fullSharedBuffersBytes: fullSharedBuffersBytes ?? Number(shared?.bytes ?? 0),
  } satisfies CacheSizes
})

/** The tables that fit shared_buffers at the largest scale below 100% and would not at 100%. */
export const cacheWarnings = (
  runs: ReadonlyArray<{ readonly scale: number; readonly cache: CacheSizes }>,
): ReadonlyArray<CacheWarning> => {
  const largest = runs.filter((r) => r.scale < 1).sort((a, b) => b.scale - a.scale)[0]
  if (largest === undefined) return []
  const { tableBytes, sharedBuffersBytes, fullSharedBuffersBytes } = largest.cache
  return Object.entries(tableBytes).flatMap(([table, bytes]) => {
    const fullBytes = bytes / largest.scale
    return bytes <= sharedBuffersBytes && fullBytes > fullSharedBuffersBytes
      ? [{ table, scale: largest.scale, bytes, fullBytes, sharedBuffersBytes }]
      : []
  })
}
