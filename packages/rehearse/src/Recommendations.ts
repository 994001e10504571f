import type { Estimate } from "./Extrapolate.js"
import { scalesLinearly } from "./Fit.js"
import type { Rehearsal } from "./Rehearsal.js"

/** What to do before the upgrade, each with its measured reason; worded by the caller. */
export type Recommendation =
  | {
      /** Purge API keys expired over 7 days before the upgrade: measured both ways. */
      readonly kind: "purge-api-keys"
      readonly purgeableRows: number
      readonly totalRows: number
      readonly version: number
      readonly blockedSeconds: number
      readonly blockedSecondsAfterPurge: number
      /** The whole migration, as is and after the purge. */
      readonly migrationSeconds: number
      readonly migrationSecondsAfterPurge: number
    }
  | {
      /** A table coderd cannot use for this long during a migration. */
      readonly kind: "blocks-table"
      readonly version: number
      readonly table: string
      readonly seconds: number
      readonly uncertainty: number | undefined
    }
  | {
      /** A statement whose cost does not grow linearly with rows: its estimate is a guess. */
      readonly kind: "not-linear"
      readonly version: number
      readonly line: number
      readonly text: string
      readonly growth: string
      readonly logLogSlope: number | undefined
    }
  | {
      /** Coder: one replica during the upgrade, so only one migrates and the others do not queue. */
      readonly kind: "one-replica"
      readonly downtimeSeconds: number
    }
  | {
      /** A migration waits longer for its locks than Coder's lock timeout allows. */
      readonly kind: "lock-timeout"
      readonly lockTimeoutSeconds: number
    }

/** Longest blocked time any migration of `estimates` causes on `table` (extrapolated). */
export const blockedOn = (estimates: ReadonlyArray<Estimate>, table: string) =>
  Math.max(
    0,
    ...estimates.flatMap((e) =>
      e.blocking.filter((b) => b.table === table).map((b) => b.blocked.predicted),
    ),
  )

/** The whole of migration `version`'s time (extrapolated). */
const migrationTime = (estimates: ReadonlyArray<Estimate>, version: number) =>
  estimates.find((e) => e.version === version)?.seconds.predicted ?? 0

/**
 * A purge is worth recommending when it shortens the blocked time or the whole migration by
 * at least this share: less is within what two runs of the same migration differ by.
 */
const worthwhileSaving = 0.1

const saves = (after: number, before: number) => after < before * (1 - worthwhileSaving)

/** Without a database to count in: the share of keys the rehearsal's largest purge removed. */
const purgedShare = (purged: Rehearsal["variants"][number]) => {
  const run = purged.runs.at(-1)
  const loaded = run?.rows.api_keys ?? 0
  return run?.purgedRows === undefined || loaded === 0 ? 0 : run.purgedRows / loaded
}

/** Seconds from which a table blocked during a migration is worth an action. */
const notableSeconds = 1

/** The actions a rehearsal's measurements support, most effective first. */
export const recommend = (rehearsal: Rehearsal): ReadonlyArray<Recommendation> => {
  const asIs = rehearsal.variants.find((v) => v.name === "as-is")
  const purged = rehearsal.variants.find((v) => v.name === "purged")
  if (asIs === undefined) return []
  const out: Array<Recommendation> = []
  if (purged !== undefined && rehearsal.realRows.api_keys !== undefined) {
    const version = asIs.estimates.find((e) =>
      e.blocking.some((b) => b.table === "api_keys"),
    )?.version
    const before = blockedOn(asIs.estimates, "api_keys")
    const after = blockedOn(purged.estimates, "api_keys")
    if (version !== undefined) {
      const runs = migrationTime(asIs.estimates, version)
      const runsAfter = migrationTime(purged.estimates, version)
      // A migration that deletes the expired keys itself before it locks the table (the
      // fast 000371) blocks as long either way; the purge then shortens the migration.
      if (saves(after, before) || saves(runsAfter, runs))
        out.push({
          kind: "purge-api-keys",
          purgeableRows:
            rehearsal.purgeableApiKeys ?? purgedShare(purged) * rehearsal.realRows.api_keys,
          totalRows: rehearsal.realRows.api_keys,
          version,
          blockedSeconds: before,
          blockedSecondsAfterPurge: after,
          migrationSeconds: runs,
          migrationSecondsAfterPurge: runsAfter,
        })
    }
  }
  const best = purged ?? asIs
  for (const estimate of best.estimates) {
    for (const b of estimate.blocking) {
      if (b.blocked.predicted >= notableSeconds) {
        out.push({
          kind: "blocks-table",
          version: estimate.version,
          table: b.table,
          seconds: b.blocked.predicted,
          uncertainty: b.blocked.standardError,
        })
      }
    }
    for (const s of estimate.statements) {
      if (!scalesLinearly(s.fit) && s.fit.predicted >= 0.1) {
        out.push({
          kind: "not-linear",
          version: estimate.version,
          line: s.line,
          text: s.text,
          growth: s.fit.growth,
          logLogSlope: s.fit.logLogSlope,
        })
      }
    }
  }
  const downtime = best.estimates.reduce((sum, e) => sum + e.seconds.predicted, 0)
  if (downtime >= notableSeconds) out.push({ kind: "one-replica", downtimeSeconds: downtime })
  const failedOnLocks = asIs.runs.some((r) =>
    r.migrations.some((m) => m.failed?.message.includes("lock timeout") === true),
  )
  if (failedOnLocks)
    out.push({ kind: "lock-timeout", lockTimeoutSeconds: rehearsal.lockTimeoutSeconds })
  return out
}

const count = (n: number) =>
  n >= 1_000_000
    ? `${(n / 1_000_000).toFixed(1)}M`
    : n >= 10_000
      ? `${Math.round(n / 1000)}k`
      : `${Math.round(n)}`

/** Seconds as people read them: 48 s, 1.2 s, 350 ms. */
export const secondsText = (s: number) =>
  s >= 10 ? `${Math.round(s)} s` : s >= 1 ? `${s.toFixed(1)} s` : `${Math.round(s * 1000)} ms`

/**
 * The recommendation in words, without naming a command: `purgeAction` and the like are
 * the caller's (a CLI names its command, a library user its own job).
 */
export const describeRecommendation = (
  r: Recommendation,
  words: { readonly purgeAction: string } = { purgeAction: "purge API keys expired over 7 days" },
) => {
  switch (r.kind) {
    case "purge-api-keys":
      return `${words.purgeAction} first: removes ${count(r.purgeableRows)} of ${count(r.totalRows)} rows; ${String(r.version).padStart(6, "0")} then blocks api_keys ≈ ${secondsText(r.blockedSecondsAfterPurge)} instead of ≈ ${secondsText(r.blockedSeconds)}, and runs ≈ ${secondsText(r.migrationSecondsAfterPurge)} instead of ≈ ${secondsText(r.migrationSeconds)}`
    case "blocks-table":
      return `${String(r.version).padStart(6, "0")} blocks ${r.table} ≈ ${secondsText(r.seconds)}${r.uncertainty === undefined ? "" : ` (± ${secondsText(r.uncertainty)})`}: coderd's requests on it wait that long; plan the upgrade in a quiet window`
    case "not-linear":
      return `${String(r.version).padStart(6, "0")} line ${r.line} (${r.text}) grows ${r.growth === "superlinear" ? "faster" : "slower"} than the rows (log-log slope ${r.logLogSlope?.toFixed(2) ?? "?"}): its estimate is not a line's; rehearse nearer full size`
    case "one-replica":
      return `scale coderd to one replica during the upgrade (only one replica migrates; the others wait on the migration lock and on the locked tables); expect ≈ ${secondsText(r.downtimeSeconds)} of migrations`
    case "lock-timeout":
      return `a migration hit the ${r.lockTimeoutSeconds} s lock timeout: raise CODER_PG_MIGRATION_LOCK_TIMEOUT or stop what holds the locks`
  }
}
