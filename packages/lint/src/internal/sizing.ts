import type { TableSize } from "@coderops/db-core"
import type { Migration } from "@coderops/migrations"
import { type CostModel, estimateSeconds, severityFor, type Thresholds } from "../CostModel.js"
import type { Finding, FindingSize } from "../Finding.js"
import { rules } from "../Rules.js"
import type { Hit } from "./hits.js"
import type { Suppression } from "./suppress.js"

export interface SizingContext {
  /** Sizes from the real database by table name; undefined without one. */
  readonly sizes: ReadonlyMap<string, TableSize> | undefined
  readonly purgeableRows: number | undefined
  readonly model: CostModel
  readonly thresholds: Thresholds
}

const count = (n: number) => Math.round(n).toLocaleString("en-US")

const bytesText = (bytes: number) => {
  const units = ["B", "kB", "MB", "GB", "TB"]
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value >= 10 || unit === 0 ? 0 : 1)} ${units[unit]}`
}

const secondsText = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(1)} s`)

const sizeOf = (hit: Hit, ctx: SizingContext): FindingSize | undefined => {
  if (ctx.sizes === undefined || hit.table === undefined) return undefined
  // A table the real database does not have yet is created by an earlier pending migration.
  const size = ctx.sizes.get(hit.table) ?? { rowEstimate: 0, totalBytes: 0 }
  const work = hit.work ?? hit.rule.work
  if (work === undefined) {
    return {
      rows: size.rowEstimate,
      bytes: size.totalBytes,
      lockSeconds: undefined,
      lockSecondsRange: undefined,
    }
  }
  const seconds = estimateSeconds(
    ctx.model,
    work,
    size.rowEstimate,
    size.totalBytes,
    hit.passes ?? 1,
  )
  return {
    rows: size.rowEstimate,
    bytes: size.totalBytes,
    lockSeconds: seconds,
    lockSecondsRange: [seconds / ctx.model.uncertainty, seconds * ctx.model.uncertainty],
  }
}

const labelOf = (table: string | undefined, size: FindingSize | undefined) => {
  if (table === undefined) return ""
  if (size === undefined) return table
  const lock =
    size.lockSeconds === undefined
      ? ""
      : `; lock ≈ ${secondsText(size.lockSeconds)} (${secondsText(size.lockSecondsRange![0])}–${secondsText(size.lockSecondsRange![1])})`
  return `${table} (${count(size.rows)} rows, ${bytesText(size.bytes)}${lock})`
}

const purgeRules = new Set<string>([rules.purgeFirst.id])

/** A hit as a finding: sized, worded, its severity scaled, its suppression applied. */
export const toFinding = (
  hit: Hit,
  migration: Migration,
  suppressions: ReadonlyArray<Suppression>,
  ctx: SizingContext,
): Finding => {
  const size = sizeOf(hit, ctx)
  const work = hit.work ?? hit.rule.work
  const severity =
    work !== undefined && size?.lockSeconds !== undefined
      ? severityFor(ctx.thresholds, size.lockSeconds)
      : hit.rule.severity
  const purgeable =
    hit.table === "api_keys" &&
    (purgeRules.has(hit.rule.id) || hit.rule.id === rules.unbatchedDml.id)
      ? ctx.purgeableRows
      : undefined
  const purgeText =
    purgeable === undefined
      ? ""
      : `; a purge of keys expired over 7 days would remove ${count(purgeable)} rows`
  const ignored = suppressions.find((s) => s.rule === hit.rule.id && s.reason !== "")
  return {
    rule: hit.rule.id,
    severity,
    version: migration.version,
    file: migration.up.path,
    line: hit.statement.line,
    column: hit.statement.column,
    table: hit.table,
    message: `${hit.message(labelOf(hit.table, size))}${purgeText}`,
    why: hit.rule.why,
    instead: hit.rule.instead,
    locks: hit.locks,
    work,
    passes: hit.passes ?? 1,
    size,
    purgeableRows: purgeable,
    ignored: ignored?.reason,
  }
}
