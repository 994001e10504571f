import { type ErrorTable, ExitCode, errorTable, type ProgressLine } from "@coderops/cli-kit"
import { parseDatabaseUrl } from "@coderops/db-core"
import type { ScratchServerRefused } from "@coderops/rehearse"
import type { CannotGenerateColumn, FaithfulTableMissing } from "@coderops/synthetic"
import { Flags } from "@oclif/core"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** A --rows or --scales value that is not what the flag takes. */
export class InvalidRehearseFlag extends Data.TaggedError("InvalidRehearseFlag")<{
  readonly message: string
}> {}

/** The flags `migrate rehearse` and `upgrade plan --rehearse` share. */
export const rehearseFlags = {
  rows: Flags.string({
    summary: "Rows of a table at 100%, instead of the database's count (TABLE=N; repeatable).",
    multiple: true,
  }),
  scales: Flags.string({
    summary:
      "Fractions of the row counts to rehearse at, comma-separated (default 0.01,0.03,0.1; tables all under 100,000 rows are rehearsed whole).",
  }),
  full: Flags.boolean({
    summary: "Also rehearse at 100% (checks the extrapolation; takes as long as the upgrade).",
  }),
  seed: Flags.integer({ summary: "Seed of the generated data.", default: 1 }),
  "scratch-url": Flags.string({
    summary:
      "Make the scratch databases on this server (one configured like production; its role needs CREATEDB) instead of on a server of the rehearsal's own.",
  }),
}

/**
 * What `migrate rehearse` and `upgrade plan --rehearse` give the rehearsal: the flags' rows,
 * scales, full, seed and scratch server, the lock_timeout migrations run under (the migrate
 * flags' or the default 3s), and progress on `line`.
 */
export const rehearseOptions = (
  flags: {
    readonly rows?: ReadonlyArray<string> | undefined
    readonly scales?: string | undefined
    readonly full: boolean
    readonly seed: number
    readonly "scratch-url"?: string | undefined
  },
  lockTimeout: Duration.Input | undefined,
  line: ProgressLine,
) =>
  Effect.gen(function* () {
    const rows: Record<string, number> = {}
    for (const entry of flags.rows ?? []) {
      const match = /^([a-z_][a-z0-9_]*)=(\d+)$/i.exec(entry.trim())
      if (match === null)
        return yield* new InvalidRehearseFlag({
          message: `--rows ${entry}: expected TABLE=N, e.g. api_keys=2000000`,
        })
      rows[match[1]!] = Number(match[2])
    }
    const scales = flags.scales?.split(",").map((s) => Number(s.trim()))
    if (scales?.some((s) => !(s > 0 && s <= 1)))
      return yield* new InvalidRehearseFlag({
        message: `--scales ${flags.scales}: expected fractions above 0 and at most 1, e.g. 0.01,0.03,0.1`,
      })
    const url = flags["scratch-url"]
    const scratchServer =
      url === undefined ? undefined : yield* parseDatabaseUrl(url, "--scratch-url")
    return {
      rows,
      scales,
      full: flags.full,
      seed: flags.seed,
      scratchServer,
      lockTimeout,
      onProgress: (step: string) => line.update(`rehearsing ${step}`),
    }
  })

/** The wording of the flags' errors. */
export const rehearseErrors = (bin: string): ErrorTable =>
  errorTable<
    InvalidRehearseFlag | FaithfulTableMissing | CannotGenerateColumn | ScratchServerRefused
  >({
    InvalidRehearseFlag: () => ({
      hint: `see \`${bin} migrate rehearse --help\``,
      exitCode: ExitCode.usage,
    }),
    FaithfulTableMissing: () => ({
      hint: "the scratch schema lacks a table a pending migration names: check --dir against the database's version",
      exitCode: ExitCode.failure,
    }),
    ScratchServerRefused: () => ({
      hint: "grant the role of --scratch-url CREATEDB, or give a role that has it (or leave --scratch-url out)",
      exitCode: ExitCode.failure,
    }),
    CannotGenerateColumn: (error) => ({
      hint: `analyze the table in the database (ANALYZE ${error.table}) so that its statistics describe the column`,
      exitCode: ExitCode.failure,
    }),
  })
