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
export const parseGoDuration = (
  value: string,
  source: string,
): Effect.Effect<number, InvalidDuration> => {
  const text = value.trim()
  const fail = () =>
    Effect.fail(
      new InvalidDuration({
        value,
        source,
        message: `${source}: "${value}" is not a duration; use Go's form, e.g. 500ms, 3s, 1m30s, 2h (0 for none)`,
        exitCode: 3,
      }),
    )
  if (text === "0") return Effect.succeed(0)
  const sign = text.startsWith("-") ? -1 : 1
  const body = text.replace(/^[-+]/, "")
  const parts = [...body.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== body) return fail()
  const ms = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0)
  return Effect.succeed(sign * ms)
}
