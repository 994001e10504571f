import type { Severity, Work } from "./Rules.js"

/** Throughput of one kind of work: rows and bytes per second; the slower of the two counts. */
export interface Throughput {
  readonly rowsPerSecond: number
  readonly bytesPerSecond: number
}

/**
 * How fast this server does each kind of work under a lock. The defaults are conservative
 * figures for a PostgreSQL on SSD with the table in cache and no competing load (see the
 * package README); real durations are within a factor of `uncertainty` either way.
 */
export interface CostModel {
  readonly rewrite: Throughput
  readonly update: Throughput
  readonly delete: Throughput
  readonly scan: Throughput
  readonly index: Throughput
  /** Estimates are good to within this factor, up or down. */
  readonly uncertainty: number
}

const mb = 1024 * 1024

export const defaultCostModel: CostModel = {
  rewrite: { rowsPerSecond: 200_000, bytesPerSecond: 100 * mb },
  update: { rowsPerSecond: 100_000, bytesPerSecond: 50 * mb },
  delete: { rowsPerSecond: 200_000, bytesPerSecond: 100 * mb },
  scan: { rowsPerSecond: 2_000_000, bytesPerSecond: 500 * mb },
  index: { rowsPerSecond: 300_000, bytesPerSecond: 100 * mb },
  uncertainty: 4,
}

/** Estimated lock durations (seconds) at which a sized finding becomes a warning, an error. */
export interface Thresholds {
  readonly warningSeconds: number
  readonly errorSeconds: number
}

/** A rewrite of 1,000 rows (5 ms) is a note; of 1,000,000 rows (5 s) an error. */
export const defaultThresholds: Thresholds = { warningSeconds: 0.5, errorSeconds: 2 }

/** Seconds the work takes on a table of `rows` rows and `bytes` bytes (the slower estimate). */
export const estimateSeconds = (
  model: CostModel,
  work: Work,
  rows: number,
  bytes: number,
  passes = 1,
): number => {
  const rate = model[work]
  return passes * Math.max(rows / rate.rowsPerSecond, bytes / rate.bytesPerSecond)
}

export const severityFor = (thresholds: Thresholds, seconds: number): Severity =>
  seconds >= thresholds.errorSeconds
    ? "error"
    : seconds >= thresholds.warningSeconds
      ? "warning"
      : "note"
