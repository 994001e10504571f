import * as Data from "effect/Data"
import * as Effect from "effect/Effect"

export class InvalidDuration extends Data.TaggedError("InvalidDuration")<{
  readonly value: string
  readonly source: string
  readonly message: string
  readonly exitCode: 3
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

/**
 * Parses a Go duration ("3s", "1m30s", "250ms", "0") into milliseconds, as Coder reads
 * CODER_PG_MIGRATION_LOCK_TIMEOUT and its intervals.
 */
/** PostgreSQL keeps lock_timeout and statement_timeout in milliseconds as a 32-bit integer. */
export const maxServerTimeoutMs = 2_147_483_647

export const parseGoDuration = (
  value: string,
  source: string,
  options?: {
    /** 0 means "none" for timeouts and retention; an interval of 0 would spin. */
    readonly allowZero?: boolean
    /** A server setting (lock_timeout, statement_timeout): at most what PostgreSQL takes. */
    readonly serverTimeout?: boolean
  },
): Effect.Effect<number, InvalidDuration> => {
  const text = value.trim()
  const fail = (problem: string) =>
    Effect.fail(
      new InvalidDuration({
        value,
        source,
        message: `${source}: "${value}" ${problem}`,
        exitCode: 3,
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
  if (ms === 0 && options?.allowZero === false) return fail("must be longer than 0")
  if (options?.serverTimeout && ms > maxServerTimeoutMs) {
    return fail("is longer than PostgreSQL's limit for a timeout (about 596h)")
  }
  return Effect.succeed(ms)
}
