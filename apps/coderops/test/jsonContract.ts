/**
 * README's "JSON output" contract as checks over a `--json` document: what every command's
 * output must satisfy, whatever it holds.
 */

/** ISO 8601 UTC, as JavaScript's toISOString writes it. */
export const isoUtc = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/** A key that names a duration, in any unit. */
const durationLike =
  /seconds$|Seconds$|duration|Duration|elapsed|Elapsed|took|millis|Millis|Ms$|^ms$/
/** The one way to name a duration: in seconds. */
const inSeconds = /^seconds$|Seconds$/
/** Looks like a date or a timestamp, in any style. */
const dateLike = /^\d{4}-\d\d-\d\d(?:[T ]\d|$)/
/** What only a run that did the work may report. */
const doneNames = /Created$|^purged$|^deleted$|^to$|^steps$|^applied$/

const decimals = (value: number) => {
  const text = String(value)
  if (text.includes("e")) return Number.POSITIVE_INFINITY
  return text.split(".")[1]?.length ?? 0
}

/** Every way `value` breaks the contract, by path; empty when it keeps it. */
export const contractProblems = (value: unknown, path = "$"): Array<string> => {
  if (Array.isArray(value))
    return value.flatMap((item, index) => contractProblems(item, `${path}[${index}]`))
  if (typeof value !== "object" || value === null) return []
  const problems: Array<string> = []
  const record = value as Record<string, unknown>
  for (const [key, field] of Object.entries(record)) {
    const at = `${path}.${key}`
    if (field === undefined) problems.push(`${at} is undefined`)
    if (typeof field === "number" && durationLike.test(key)) {
      if (!inSeconds.test(key)) problems.push(`${at}: a duration not named in seconds`)
      if (decimals(field) > 3) problems.push(`${at}: ${field} has more than 3 decimals`)
    }
    if (typeof field === "string" && dateLike.test(field) && !isoUtc.test(field))
      problems.push(`${at}: ${field} is not ISO 8601 UTC`)
    if (record.dryRun === true && doneNames.test(key))
      problems.push(`${at}: a dry run reports "${key}" as if it had been done`)
    problems.push(...contractProblems(field, at))
  }
  return problems
}

/** The error document: exactly the documented keys, in order, absent ones null. */
export const errorProblems = (document: unknown, exitCode: number): Array<string> => {
  const error = (document as { error?: Record<string, unknown> } | null)?.error
  if (typeof error !== "object" || error === null) return ["no error object"]
  const problems: Array<string> = []
  if (Object.keys(document as object).join() !== "error") problems.push("keys besides error")
  const keys = Object.keys(error).join()
  if (keys !== "tag,message,hint,exitCode,details") problems.push(`error keys: ${keys}`)
  if (typeof error.tag !== "string" || error.tag === "") problems.push("no tag")
  if (typeof error.message !== "string" || error.message === "") problems.push("no message")
  else if (
    /See more help|The following errors? occurred/.test(error.message) ||
    error.message.includes("\u001b[")
  )
    problems.push(`oclif's raw message: ${error.message}`)
  if (error.hint !== null && typeof error.hint !== "string") problems.push("hint")
  if (error.exitCode !== exitCode) problems.push(`exitCode ${error.exitCode}, exited ${exitCode}`)
  if (error.details !== null && (typeof error.details !== "object" || Array.isArray(error.details)))
    problems.push("details is neither an object nor null")
  return [...problems, ...contractProblems(document)]
}
