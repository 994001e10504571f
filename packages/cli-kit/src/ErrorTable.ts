import type { ExitCodeValue } from "./ExitCode.js"

/**
 * How the CLI words one kind of library error. Libraries raise tagged data (what happened,
 * which file, line, table, holder); only the CLI knows exit codes, flag names and which
 * command to run next.
 */
export interface Wording {
  /** The one line that names the problem; the error's own `message` when absent. */
  readonly problem?: string | undefined
  /** What to do about it, in the CLI's terms (flags, commands). */
  readonly hint?: string | undefined
  readonly exitCode: ExitCodeValue
}

/**
 * Error tag → wording. cli-kit brings the table for db-core's errors; each plugin's base
 * command adds the tables of the libraries it uses (`errorTables()`).
 */
// biome-ignore lint/suspicious/noExplicitAny: each entry narrows its own error type by tag.
export type ErrorTable = { readonly [tag: string]: (error: any) => Wording }

/** One table for the tags of one error union, checked to cover every member. */
export const errorTable = <E extends { readonly _tag: string }>(
  entries: {
    readonly [K in E["_tag"]]: (error: Extract<E, { readonly _tag: K }>) => Wording
  },
): ErrorTable => entries as ErrorTable
