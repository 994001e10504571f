import type { SeedOptions } from "@coderops/synthetic"

export const demoSizes = ["small", "medium", "large"] as const
export type DemoSizeName = (typeof demoSizes)[number]

/** How big the synthetic deployment is, and how the upgrade plan rehearses it. */
export interface DemoSize {
  readonly name: DemoSizeName
  readonly seed: Pick<
    SeedOptions,
    | "orgs"
    | "users"
    | "templatesPerOrg"
    | "versionsPerTemplate"
    | "presetsPerVersion"
    | "apiKeys"
    | "expiredFraction"
  >
  /** Fractions of the rows the rehearsal runs at (fitted and extrapolated). */
  readonly scales: ReadonlyArray<number>
  /**
   * Also rehearse at 100%: on a small deployment fractions are too few rows for the probe
   * to see a wait, so the rehearsal measures the whole (small) table instead.
   */
  readonly full: boolean
  /**
   * Also rehearse the original form after a purge. The small size leaves it to the real
   * purge and the fast form applied after it: one scratch database less, for its tests.
   */
  readonly rehearsePurge: boolean
}

/** Nine keys in ten expired long ago: a deployment that never purged them. */
const expiredFraction = 0.9

export const demoSizeOf: Readonly<Record<DemoSizeName, DemoSize>> = {
  // 20 organizations, 1,000 presets, 50,000 API keys.
  small: {
    name: "small",
    seed: {
      orgs: 20,
      users: 200,
      templatesPerOrg: 5,
      versionsPerTemplate: 2,
      presetsPerVersion: 5,
      apiKeys: 50_000,
      expiredFraction,
    },
    scales: [],
    full: true,
    rehearsePurge: false,
  },
  // 200 organizations, 20,000 presets, 1,000,000 API keys.
  medium: {
    name: "medium",
    seed: {
      orgs: 200,
      users: 2_000,
      templatesPerOrg: 10,
      versionsPerTemplate: 2,
      presetsPerVersion: 5,
      apiKeys: 1_000_000,
      expiredFraction,
    },
    scales: [0.01, 0.03, 0.1],
    full: false,
    rehearsePurge: true,
  },
  // 500 organizations, 100,000 presets, 5,000,000 API keys.
  large: {
    name: "large",
    seed: {
      orgs: 500,
      users: 10_000,
      templatesPerOrg: 10,
      versionsPerTemplate: 2,
      presetsPerVersion: 10,
      apiKeys: 5_000_000,
      expiredFraction,
    },
    scales: [0.01, 0.02, 0.05],
    full: false,
    rehearsePurge: true,
  },
}

/** Presets a size seeds: organizations × templates × versions × presets per version. */
export const presetsOf = (size: DemoSize) =>
  size.seed.orgs *
  size.seed.templatesPerOrg *
  size.seed.versionsPerTemplate *
  size.seed.presetsPerVersion
