import { stripVTControlCharacters } from "node:util"
import type { FailureReport } from "./FailureReport.js"

/** A duration's key: `seconds`, or a name ending in `Seconds` (README, "JSON output"). */
const durationKey = /^seconds$|Seconds$/

/**
 * A value as `--json` prints it (README, "JSON output"): every key kept, an absent value
 * as null; durations in seconds rounded to the millisecond (no `0.026389807000000002`);
 * dates as ISO 8601 UTC.
 */
export const toJsonValue = (value: unknown): unknown => {
  if (value === undefined) return null
  return JSON.parse(
    JSON.stringify(value, (key, field) => {
      if (field === undefined) return null
      // An integer number of milliseconds over 1000 is exact: no float noise left.
      if (typeof field === "number" && durationKey.test(key)) return Math.round(field * 1000) / 1000
      return field
    }),
  )
}

/** The one error document of `--json`: every documented key, absent ones null. */
export const failureJson = (report: FailureReport) =>
  toJsonValue({
    error: {
      tag: report.tag,
      message: report.message,
      hint: report.hint ?? null,
      exitCode: report.exitCode,
      details: report.details ?? null,
    },
  })

/**
 * Prints a failure: the JSON document on stdout with `--json`, else `Error:` and `Hint:`
 * on stderr (and, with --debug, the detail).
 */
export const writeFailure = (
  report: FailureReport,
  options: { readonly json: boolean; readonly debugDetail?: string | undefined },
): void => {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(failureJson(report), null, 2)}\n`)
    return
  }
  process.stderr.write(`Error: ${report.message}\n`)
  if (report.hint) process.stderr.write(`Hint: ${report.hint}\n`)
  if (options.debugDetail) process.stderr.write(`${options.debugDetail}\n`)
}

/**
 * oclif's parse error as one line: without "See more help with --help" (the hint says
 * where to look), "The following error occurred:" or colour codes; a missing argument
 * with its description in parentheses.
 */
export const usageProblem = (message: string): string => {
  const lines = stripVTControlCharacters(message)
    .split("\n")
    .map((line) => line.trim())
    .filter(
      (line) =>
        line !== "" &&
        !line.startsWith("See more help with") &&
        !/^The following errors? occurred:$/.test(line),
    )
    .map((line) =>
      line
        .replace(/^Parsing (--\S+)$/, "$1:")
        // "NAME  description", as oclif lists a missing argument.
        .replace(/^(\S+) {2,}(.+)$/, "$1 ($2)"),
    )
  return lines.reduce(
    (text, line) =>
      text === "" ? line : text.endsWith(":") ? `${text} ${line}` : `${text}; ${line}`,
    "",
  )
}
