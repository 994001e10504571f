import * as Data from "effect/Data"
import type { SeedOptions } from "./SeedOptions.js"

/** One option (or combination of options) the seeder cannot honour. */
export interface SeedOptionProblem {
  /** The option at fault; absent when the problem is a combination of options. */
  readonly option?: keyof SeedOptions | undefined
  /** What is wrong, without the option's name: "must be between 0 and 1, got 1.5". */
  readonly problem: string
}

export class InvalidSeedOptions extends Data.TaggedError("InvalidSeedOptions")<{
  readonly message: string
  readonly problems: ReadonlyArray<SeedOptionProblem>
}> {}

export class SeedTargetNotEmpty extends Data.TaggedError("SeedTargetNotEmpty")<{
  readonly message: string
  /** The table that already has rows. */
  readonly table: "organizations" | "api_keys"
}> {}

/**
 * Every failure of the seeder that is not a database error (a missing table or scope
 * column is db-core's SchemaMissing).
 */
export type SeedError = InvalidSeedOptions | SeedTargetNotEmpty
