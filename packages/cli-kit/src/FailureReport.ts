import { redactUrl } from "@coderops/db-core"
import { dbCoreErrors } from "./DbCoreErrors.js"
import type { ErrorTable } from "./ErrorTable.js"
import { ExitCode } from "./ExitCode.js"
import { metricsErrors } from "./MetricsErrors.js"

/** A failure as the CLI reports it: one line, a hint, an exit code. */
export interface FailureReport {
  readonly tag: string
  readonly message: string
  readonly hint: string | undefined
  readonly exitCode: number
  /**
   * The error's own fields a script can act on (file, line, SQLSTATE, the list of
   * directory problems, ...), for `--json`.
   */
  readonly details?: Readonly<Record<string, unknown>> | undefined
}

/** The tables every command knows: the libraries beneath every plugin. */
const sharedTables: ReadonlyArray<ErrorTable> = [dbCoreErrors, metricsErrors]

const reported = new Set(["_tag", "message", "hint", "exitCode", "cause", "stack", "name"])

const isPlain = (value: unknown): boolean =>
  value === null ||
  ["string", "number", "boolean"].includes(typeof value) ||
  (Array.isArray(value) && value.every(isPlain)) ||
  (typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.values(value as object).every(isPlain))

/** The plain-data fields of an error (no causes, no class instances), secrets redacted. */
const detailsOf = (error: unknown): Record<string, unknown> | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const entries = Object.entries(error).filter(
    ([key, value]) => !reported.has(key) && value !== undefined && isPlain(value),
  )
  if (entries.length === 0) return undefined
  return JSON.parse(JSON.stringify(Object.fromEntries(entries)), (_key, value) =>
    typeof value === "string" ? redactSecrets(value) : value,
  )
}

/**
 * Passwords never reach the terminal, even inside a driver's message or a stack trace:
 * every `scheme://...` word (to its last `@`), every libpq `password=...` and every
 * `PGPASSWORD=...` (any variable whose name ends in PASSWORD) is redacted.
 */
export const redactSecrets = (text: string) =>
  text.replace(
    /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"]+|\b\w*password\s*=\s*(?:'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|\S+)/gi,
    (found) => redactUrl(found),
  )

/**
 * Turns any failure into its report: worded by the first table that knows its tag (the
 * command's own tables, then db-core's and metrics'); any other failure is its message
 * and exit 1.
 */
export const reportOf = (error: unknown, tables: ReadonlyArray<ErrorTable> = []): FailureReport => {
  const tag =
    typeof error === "object" && error !== null && "_tag" in error
      ? String((error as { _tag: unknown })._tag)
      : undefined
  const word =
    tag === undefined
      ? undefined
      : [...tables, ...sharedTables].find((table) => Object.hasOwn(table, tag))?.[tag]
  if (word !== undefined) {
    const wording = word(error)
    const own = (error as { message?: unknown }).message
    return {
      tag: tag as string,
      message: redactSecrets(wording.problem ?? (typeof own === "string" ? own : String(error))),
      hint: wording.hint === undefined ? undefined : redactSecrets(wording.hint),
      exitCode: wording.exitCode,
      details: detailsOf(error),
    }
  }
  // An error no table words: its own message, exit 1. Libraries carry no exit codes or
  // hints of their own; a tag that needs them belongs in a table.
  const fields = (typeof error === "object" && error !== null ? error : {}) as {
    _tag?: unknown
    message?: unknown
  }
  return {
    tag:
      typeof fields._tag === "string" ? fields._tag : error instanceof Error ? error.name : "Error",
    message: redactSecrets(typeof fields.message === "string" ? fields.message : String(error)),
    hint: undefined,
    exitCode: ExitCode.failure,
    details: detailsOf(error),
  }
}
