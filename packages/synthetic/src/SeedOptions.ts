import * as Effect from "effect/Effect"
import { InvalidSeedOptions, type SeedOptionProblem } from "./SeedErrors.js"

export interface SeedOptions {
  readonly orgs: number
  /** Users besides the prebuilds system user; each is a member of at least one organization. */
  readonly users: number
  readonly templatesPerOrg: number
  readonly versionsPerTemplate: number
  readonly presetsPerVersion: number
  readonly apiKeys: number
  /** Fraction (0..1) of API keys that expired between 8 days and 3 years before `now`. */
  readonly expiredFraction: number
  /** Same seed and options ⇒ byte-identical rows, ids included. */
  readonly seed: number
  /** Fraction of presets with a non-null desired_instances (0..3); default 0.5. */
  readonly presetDesiredFraction?: number | undefined
  /** Prebuilt workspaces per preset of an active version, up to its desired_instances; default 0. */
  readonly prebuiltWorkspacesPerPreset?: number | undefined
  /**
   * Fraction of the organizations with prebuilds where the prebuilds user already has its
   * membership, group and group membership (what reconciliation would create); default 0.
   */
  readonly reconciledFraction?: number | undefined
  /**
   * The reference time every generated timestamp derives from; default 2026-01-01T00:00:00Z.
   * To rehearse a migration or purge that compares with now(), pass the current time.
   */
  readonly now?: Date | undefined
  /** Called after each table is loaded. */
  readonly onProgress?: ((table: string, rows: number, seconds: number) => void) | undefined
  /** Called while a table loads, each time COPY has sent a chunk of its rows to the server. */
  readonly onRows?: ((progress: SeedTableProgress) => void) | undefined
}

/** A table being loaded: rows COPY has sent to the server so far, of how many (when known ahead). */
export interface SeedTableProgress {
  readonly table: string
  readonly rows: number
  readonly total: number | undefined
  /** Seconds since the table's load started. */
  readonly seconds: number
}

/** The options with every default applied, checked. */
export type ValidSeedOptions = Required<Omit<SeedOptions, "onProgress" | "onRows">>

const count = (option: keyof SeedOptions, value: number, max = 2 ** 32 - 1) =>
  Number.isInteger(value) && value >= 0 && value <= max
    ? undefined
    : { option, problem: `must be an integer from 0 to ${max}, got ${value}` }

const fraction = (option: keyof SeedOptions, value: number) =>
  value >= 0 && value <= 1
    ? undefined
    : { option, problem: `must be between 0 and 1, got ${value}` }

/** A problem of a combination of options, present when `broken`. */
const combination = (broken: boolean, problem: string) => (broken ? { problem } : undefined)

/**
 * The one place seed options are checked: every problem at once, so a person fixes them
 * in one go.
 */
export const validateSeedOptions = (
  options: SeedOptions,
): Effect.Effect<ValidSeedOptions, InvalidSeedOptions> => {
  const valid: ValidSeedOptions = {
    orgs: options.orgs,
    users: options.users,
    templatesPerOrg: options.templatesPerOrg,
    versionsPerTemplate: options.versionsPerTemplate,
    presetsPerVersion: options.presetsPerVersion,
    apiKeys: options.apiKeys,
    expiredFraction: options.expiredFraction,
    seed: options.seed,
    presetDesiredFraction: options.presetDesiredFraction ?? 0.5,
    prebuiltWorkspacesPerPreset: options.prebuiltWorkspacesPerPreset ?? 0,
    reconciledFraction: options.reconciledFraction ?? 0,
    now: options.now ?? new Date("2026-01-01T00:00:00Z"),
  }
  const problems = [
    count("orgs", valid.orgs),
    count("users", valid.users),
    count("templatesPerOrg", valid.templatesPerOrg),
    count("versionsPerTemplate", valid.versionsPerTemplate),
    count("presetsPerVersion", valid.presetsPerVersion),
    count("apiKeys", valid.apiKeys),
    count("prebuiltWorkspacesPerPreset", valid.prebuiltWorkspacesPerPreset),
    count("seed", valid.seed, Number.MAX_SAFE_INTEGER),
    fraction("expiredFraction", valid.expiredFraction),
    fraction("presetDesiredFraction", valid.presetDesiredFraction),
    fraction("reconciledFraction", valid.reconciledFraction),
    Number.isNaN(valid.now.getTime())
      ? { option: "now" as const, problem: "must be a valid date" }
      : undefined,
    combination(valid.users > 0 && valid.orgs === 0, "users need at least one organization"),
    combination(valid.apiKeys > 0 && valid.users === 0, "API keys need at least one user"),
    combination(
      valid.orgs * valid.templatesPerOrg > 0 && valid.users === 0,
      "templates need at least one user (their creator)",
    ),
    combination(
      valid.templatesPerOrg > 0 && valid.versionsPerTemplate === 0,
      "templates need at least one version (their active version)",
    ),
  ].filter((problem): problem is SeedOptionProblem => problem !== undefined)
  if (problems.length === 0) return Effect.succeed(valid)
  return Effect.fail(
    new InvalidSeedOptions({
      message: `invalid seed options: ${problems.map((p) => describeProblem(p)).join("; ")}`,
      problems,
    }),
  )
}

/** A problem in words, naming its option as `name` does (the option's own name by default). */
export const describeProblem = (
  { option, problem }: SeedOptionProblem,
  name: (option: keyof SeedOptions) => string = (option) => option,
) => (option === undefined ? problem : `${name(option)} ${problem}`)
