import * as Duration from "effect/Duration"
import type { PlannedStep } from "../MigrationPlan.js"
import type { MigrationFile } from "../MigrationSource.js"
import type { SchemaMigrations } from "../SchemaMigrations.js"
import type { Preamble } from "./locateFailure.js"

/** Server settings by name, as `SET name = value` takes them. */
export type Settings = Readonly<Record<string, number | string>>

// Whole milliseconds, as the server takes them; a positive timeout never becomes 0,
// which would mean none at all.
const wholeMs = (timeout: Duration.Duration) => {
  const ms = Duration.toMillis(timeout)
  return ms <= 0 ? 0 : Math.max(1, Math.ceil(ms))
}

/** The timeouts every migration runs under: lock_timeout, and statement_timeout if given. */
export const timeoutSettingsOf = (
  lockTimeout: Duration.Duration,
  statementTimeout: Duration.Duration | undefined,
): Settings => ({
  lock_timeout: wholeMs(lockTimeout),
  ...(statementTimeout === undefined ? {} : { statement_timeout: wholeMs(statementTimeout) }),
})

/**
 * A migration's transaction: its timeouts and, but for the last of a run, no wait for
 * its commit to reach disk (or a synchronous standby). The last one's commit waits, and
 * WAL is flushed in order, so that flushes every migration before it; a failed or
 * interrupted run ends with a flush instead. A server crash during the run can lose only
 * whole migrations at the end of it (their version rows with them): the database is at an
 * earlier, clean version. Where each commit must wait (a remote disk, a synchronous
 * standby), 300 migrations save 299 waits.
 */
export const transactionSettingsOf = (timeouts: Settings, last: boolean): Settings =>
  last ? timeouts : { ...timeouts, synchronous_commit: "off" }

/** `SET name = value` for each setting, for the session (a no-transaction migration). */
export const sessionSettingsScript = (settings: Settings) =>
  Object.entries(settings)
    .map(([name, value]) => `SET ${name} = ${value}`)
    .join(";\n")

/**
 * The simple-protocol messages that carry migrations: one round trip per migration
 * instead of four, which is most of what a short migration costs.
 */
export const makeMigrationMessages = (
  timeouts: Settings,
  state: Pick<SchemaMigrations, "writeText">,
) => {
  // One line, so that line N of a file is line N + 1 of the message, columns unchanged.
  const beginLineOf = (last: boolean) =>
    `${["BEGIN", ...Object.entries(transactionSettingsOf(timeouts, last)).map(([name, value]) => `SET LOCAL ${name} = ${value}`)].join("; ")};\n`
  const beginLines = { last: beginLineOf(true), other: beginLineOf(false) }

  /**
   * The file, then its version and history rows. The file cannot take in the text after
   * it: that text has no comment, dollar-quote, identifier-quote or backslash characters,
   * and its quotes pair up around letters and digits. A file that ends inside a string, a
   * comment or an unfinished statement so leaves the whole message unterminated, and the
   * server, which parses a message whole before running any of it, rejects all of it.
   * Inside the run's one transaction this is the whole message: it is already open.
   */
  const fileThenVersion = (step: PlannedStep, file: MigrationFile) =>
    `${file.empty ? "" : file.sql}\n;\n${state.writeText(step.resultingVersion, {
      version: step.version,
      direction: step.direction,
      name: file.name,
      checksum: file.checksum,
    })};\n`

  /** A migration in its own transaction: BEGIN with the timeouts, the file, the rows, COMMIT. */
  const inOwnTransaction = (step: PlannedStep, file: MigrationFile, last: boolean) =>
    `${last ? beginLines.last : beginLines.other}${fileThenVersion(step, file)}COMMIT;`

  /** Our statements ahead of the file in its own transaction's message: one line. */
  const preambleOf = (last: boolean): Preamble => ({
    lines: 1,
    statements: 1 + Object.keys(transactionSettingsOf(timeouts, last)).length,
  })

  return { fileThenVersion, inOwnTransaction, preambleOf }
}

/** Inside the run's one transaction the file comes first in its message. */
export const noPreamble: Preamble = { lines: 0, statements: 0 }
