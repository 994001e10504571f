import { Flags } from "@oclif/core"
import * as Data from "effect/Data"
import { formatCount } from "./render.js"

/** A number flag outside its range: invalid configuration (exit 3), not a usage error. */
export class FlagOutOfRange extends Data.TaggedError("FlagOutOfRange")<{
  readonly flag: string
  readonly value: number
  readonly min: number
  readonly max: number
}> {
  /** oclif rewrites `message` of errors thrown while parsing; this text is kept apart. */
  get problem(): string {
    return `--${this.flag} ${this.value} is out of range; allowed: ${formatCount(this.min)} to ${formatCount(this.max)}`
  }
}

/**
 * A whole-number flag with a range, shown in its help. Text that is no integer stays a
 * usage error (exit 2); a number outside the range fails with `FlagOutOfRange`.
 */
export const integerFlag = (options: {
  readonly summary: string
  readonly default: number
  readonly min: number
  readonly max: number
  readonly helpGroup?: string
}) =>
  Flags.custom<number>({
    summary: `${options.summary.replace(/\.$/, "")} (${formatCount(options.min)} to ${formatCount(options.max)}).`,
    default: options.default,
    helpGroup: options.helpGroup,
    parse: async (input, _command, flag) => {
      if (!/^\s*-?\d+\s*$/.test(input))
        throw new Error(`Expected an integer but received: ${input}`)
      const value = Number(input)
      if (value < options.min || value > options.max) {
        throw new FlagOutOfRange({ flag: flag.name, value, min: options.min, max: options.max })
      }
      return value
    },
  })()
