import type { ValidSeedOptions } from "../SeedOptions.js"
import { day } from "./copyText.js"
import {
  below,
  rowHash,
  type StreamKeys,
  spread,
  spreadCount,
  streamKeys,
  uuid,
  word,
} from "./random.js"

export const threeYears = 1095 * day

/** Everything derived from the options before any row is written. */
export interface Plan extends Omit<ValidSeedOptions, "now" | "seed"> {
  readonly expiredKeys: number
  readonly presets: number
  readonly desiredPresets: number
  /** Per organization: whether any preset of it has desired_instances. */
  readonly hasPrebuilds: ReadonlyArray<boolean>
  /** Per organization: whether the prebuilds user's membership, group and group membership exist. */
  readonly reconciled: ReadonlyArray<boolean>
  /** The reference time, in whole Unix seconds. */
  readonly now: number
  readonly keys: StreamKeys
}

export const makePlan = (options: ValidSeedOptions): Plan => {
  const presetsPerOrg =
    options.templatesPerOrg * options.versionsPerTemplate * options.presetsPerVersion
  const presets = options.orgs * presetsPerOrg
  const desiredPresets = Math.round(presets * options.presetDesiredFraction)
  const hasPrebuilds = Array.from(
    { length: options.orgs },
    (_, o) => spreadCount(o * presetsPerOrg, (o + 1) * presetsPerOrg, desiredPresets, presets) > 0,
  )
  const withPrebuilds = hasPrebuilds.filter(Boolean).length
  const reconciledCount = Math.round(withPrebuilds * options.reconciledFraction)
  let rank = 0
  const reconciled = hasPrebuilds.map(
    (has) => has && spread(rank++, reconciledCount, withPrebuilds),
  )
  return {
    ...options,
    expiredKeys: Math.round(options.apiKeys * options.expiredFraction),
    presets,
    desiredPresets,
    hasPrebuilds,
    reconciled,
    now: Math.floor(options.now.getTime() / 1000),
    keys: streamKeys(options.seed),
  }
}

// Ids and indexes every row generator shares: a row is found from its parent by arithmetic.

export const orgId = (plan: Plan, o: number) => uuid(plan.keys.organizations, o)
export const userId = (plan: Plan, u: number) => uuid(plan.keys.users, u)
export const templateIndex = (plan: Plan, o: number, t: number) => o * plan.templatesPerOrg + t
export const versionIndex = (plan: Plan, ti: number, v: number) => ti * plan.versionsPerTemplate + v
export const presetIndex = (plan: Plan, vi: number, p: number) => vi * plan.presetsPerVersion + p

/** desired_instances of a preset: NULL for most, 0..3 for the spread-out selected ones. */
export const desiredInstances = (plan: Plan, pi: number) =>
  spread(pi, plan.desiredPresets, plan.presets)
    ? word(rowHash(plan.keys.presets, pi), 4) % 4
    : undefined

/** Users are spread round-robin, so organization o's first member is user o (if any). */
export const primaryOrg = (plan: Plan, u: number) => u % plan.orgs

/** A template's creator: a member of its organization when it has one. */
export const templateCreator = (plan: Plan, o: number, ti: number) => {
  const members = o < plan.users ? Math.floor((plan.users - 1 - o) / plan.orgs) + 1 : 0
  const w = word(rowHash(plan.keys.templates, ti), 4)
  return members > 0 ? o + plan.orgs * below(w, members) : below(w, plan.users)
}
