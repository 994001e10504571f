import * as Data from "effect/Data"
import type { RunningMigration } from "./RunningMigration.js"

/** The file given as a plan is neither a rehearsal nor an upgrade plan with one. */
export class InvalidPlan extends Data.TaggedError("InvalidPlan")<{
  readonly file: string
  readonly message: string
}> {}

/** Expected seconds of each migration, by version, as a rehearsal measured or extrapolated. */
export type ExpectedDurations = ReadonlyMap<number, number>

interface EstimateShape {
  readonly version?: unknown
  readonly seconds?: { readonly predicted?: unknown }
  readonly measuredFullSeconds?: unknown
}

const isNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value)

/**
 * The expected duration of each migration from the JSON of `migrate rehearse --json` or of
 * `upgrade plan --rehearse --format json`: the rehearsal's "as-is" estimates, measured at
 * 100% when it ran there, else extrapolated to the database's rows.
 */
export const expectedDurationsOf = (
  document: unknown,
  file: string,
): ExpectedDurations | InvalidPlan => {
  const root = document as { rehearsal?: unknown; variants?: unknown } | null
  const rehearsal = (root?.rehearsal ?? root) as { variants?: unknown } | null | undefined
  const variants = Array.isArray(rehearsal?.variants) ? rehearsal.variants : undefined
  const asIs = variants?.find((variant: { name?: unknown }) => variant?.name === "as-is") as
    | { estimates?: unknown }
    | undefined
  if (asIs === undefined || !Array.isArray(asIs.estimates)) {
    return new InvalidPlan({
      file,
      message: `${file} holds no rehearsal estimates (no "as-is" variant with "estimates")`,
    })
  }
  const expected = new Map<number, number>()
  for (const estimate of asIs.estimates as ReadonlyArray<EstimateShape>) {
    const seconds = isNumber(estimate.measuredFullSeconds)
      ? estimate.measuredFullSeconds
      : estimate.seconds?.predicted
    if (isNumber(estimate.version) && isNumber(seconds)) expected.set(estimate.version, seconds)
  }
  return expected
}

export interface Expectation {
  /** Expected seconds of the running migration; undefined when the plan lacks it. */
  readonly runningSeconds: number | undefined
  /** Expected seconds of the pending migrations after it that the plan knows. */
  readonly remainingSeconds: number
  /** Pending migrations after the running one that the plan has no estimate for. */
  readonly unknown: number
}

/** What the plan expects of the running migration and of those still to come after it. */
export const expectationFor = (
  running: RunningMigration,
  pendingVersions: ReadonlyArray<number>,
  expected: ExpectedDurations,
): Expectation => {
  const after = pendingVersions.filter((version) => version > running.version)
  const known = after.filter((version) => expected.has(version))
  return {
    runningSeconds: expected.get(running.version),
    remainingSeconds: known.reduce((sum, version) => sum + expected.get(version)!, 0),
    unknown: after.length - known.length,
  }
}
