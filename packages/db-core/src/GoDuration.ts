import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

export class InvalidDuration extends Data.TaggedError("InvalidDuration")<{
  readonly value: string
  readonly source: string
  /** The accepted range in seconds, when the value is a duration outside it. */
  readonly minSeconds?: number | undefined
  readonly maxSeconds?: number | undefined
  readonly message: string
}> {}

const units: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

/** PostgreSQL keeps lock_timeout and statement_timeout in milliseconds as a 32-bit integer. */
export const maxServerTimeoutMs = 2_147_483_647

export interface DurationOptions {
  /**
   * 0 means "none" for timeouts and retention and is accepted whatever `min` says; an
   * interval of 0 would spin. Default: accepted.
   */
  readonly allowZero?: boolean
  /** The least duration other than 0. */
  readonly min?: Duration.Input
  /** The greatest duration. */
  readonly max?: Duration.Input
  /**
   * A server setting (lock_timeout, statement_timeout): whole milliseconds (the server
   * would round 1ns to 0, "no timeout"), at most what PostgreSQL takes.
   */
  readonly serverTimeout?: boolean
}

const goUnits = [
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
] as const

/** A duration in Go's form, for messages: 90 s → "1m30s", 250 ms → "250ms". */
export const formatGoDuration = (duration: Duration.Input): string => {
  const ms = Duration.toMillis(duration)
  if (ms === 0) return "0s"
  let rest = ms
  let text = ""
  for (const [unit, size] of goUnits) {
    const count = unit === "ms" ? rest : Math.floor(rest / size)
    if (count > 0) text += `${count}${unit}`
    rest -= count * size
  }
  return text
}

/**
 * Parses a Go duration ("3s", "1m30s", "250ms", "0"), as Coder reads
 * CODER_PG_MIGRATION_LOCK_TIMEOUT and its intervals, and checks it against a range.
 * `source` names the setting in the message (a flag, a variable).
 */
export const parseGoDuration = (
  value: string,
  source: string,
  options?: DurationOptions,
): Effect.Effect<Duration.Duration, InvalidDuration> => {
  const text = value.trim()
  const fail = (problem: string) =>
    Effect.fail(
      new InvalidDuration({
        value,
        source,
        message: `${source}: "${value}" ${problem}`,
      }),
    )
  const notDuration = () =>
    fail(
      `is not a duration; use Go's form, e.g. 500ms, 3s, 1m30s, 2h${options?.allowZero === false ? "" : " (0 for none)"}`,
    )
  // Go accepts a sign, but no setting here means anything negative: -8760h of retention
  // would purge every key that has not even expired.
  if (text.startsWith("-")) return fail("is negative; give a duration of 0 or more")
  const body = text.replace(/^\+/, "")
  let ms: number
  if (body === "0") {
    ms = 0
  } else {
    const parts = [...body.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)]
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== body) return notDuration()
    ms = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0)
  }
  if (ms === 0) {
    return options?.allowZero === false
      ? fail("must be longer than 0")
      : Effect.succeed(Duration.zero)
  }
  const server = options?.serverTimeout === true
  const min = Math.max(
    options?.min === undefined ? 0 : Duration.toMillis(options.min),
    server ? 1 : 0,
  )
  const max = Math.min(
    options?.max === undefined ? Infinity : Duration.toMillis(options.max),
    server ? maxServerTimeoutMs : Infinity,
  )
  if (ms < min || ms > max) {
    const range = Number.isFinite(max)
      ? `${formatGoDuration(min)} to ${formatGoDuration(max)}`
      : `at least ${formatGoDuration(min)}`
    return Effect.fail(
      new InvalidDuration({
        value,
        source,
        minSeconds: min / 1000,
        maxSeconds: Number.isFinite(max) ? max / 1000 : undefined,
        message: `${source}: "${value}" is out of range; allowed: ${range}${options?.allowZero === false ? "" : ", or 0 for none"}${server ? " (PostgreSQL's limit for a timeout: whole milliseconds, at most about 596h)" : ""}`,
      }),
    )
  }
  return Effect.succeed(Duration.millis(ms))
}
