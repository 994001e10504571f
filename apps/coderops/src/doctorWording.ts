import { countOf, type FailureReport } from "@coderops/cli-kit"
import type { Check, CheckStatus, DoctorReport } from "@coderops/inspect"

/** One check as `doctor` prints it (and as `--json` gives it). */
export interface WordedCheck {
  readonly name: string
  readonly status: CheckStatus
  readonly detail: string
  readonly hint?: string | undefined
}

export interface WordedDoctorReport extends Omit<DoctorReport, "checks"> {
  readonly checks: ReadonlyArray<WordedCheck>
}

type Words = Pick<WordedCheck, "detail" | "hint">

/**
 * The words for one check's finding. Which subsystem needs a privilege, and what runs
 * instead without it, is the CLI's to say: the inspect library reports facts.
 */
const wordsOf = (check: Check, reportFailure: (error: unknown) => FailureReport): Words => {
  const finding = check.finding
  switch (finding._tag) {
    case "Failed": {
      const report = reportFailure(finding.error)
      return { detail: report.message, hint: report.hint }
    }
    case "NotConnected":
      return { detail: "not checked: no connection" }
    case "Connected":
      return { detail: `connected to ${finding.target} in ${finding.elapsedMs} ms` }
    case "ServerVersion":
      return {
        detail: `PostgreSQL ${finding.version}${finding.supported ? "" : " is older than 13"}`,
        hint: finding.supported
          ? undefined
          : "upgrade PostgreSQL to 13 or later (Coder requires it too)",
      }
    case "CreateInSchema":
      return finding.allowed
        ? { detail: `${finding.user} can create tables in "${finding.schema}"` }
        : {
            detail: `${finding.user} cannot create tables in "${finding.schema}" (migrations need it)`,
            hint: `GRANT CREATE ON SCHEMA ${finding.schema} TO ${finding.user}`,
          }
    case "TableOwnership":
      return finding.foreignTables.length === 0
        ? { detail: `${finding.user} owns every table in "${finding.schema}"` }
        : {
            detail: `${countOf(finding.foreignTables.length, "table")} owned by another role, e.g. ${finding.foreignTables.slice(0, 3).join(", ")} (migrations ALTER them)`,
            hint: "run coderops as the role that owns Coder's tables (the one coderd connects as)",
          }
    case "SessionVisibility":
      return finding.allowed
        ? { detail: "can see other sessions' queries and lock holders" }
        : {
            detail:
              "cannot see other users' sessions in pg_stat_activity; lock holders are reported without details",
            hint: `GRANT pg_read_all_stats TO ${finding.user}`,
          }
    case "CreateDatabase":
      return finding.allowed
        ? { detail: "can create scratch databases (migrate verify on this server)" }
        : {
            detail:
              "cannot create databases; `migrate verify` will use the embedded server instead",
            hint: `ALTER ROLE ${finding.user} CREATEDB`,
          }
    case "AdvisoryLocks":
      return { detail: "session advisory locks can be taken and released" }
  }
}

/** The doctor's report in the CLI's words: each check's detail and, where it helps, a hint. */
export const wordDoctorReport = (
  report: DoctorReport,
  reportFailure: (error: unknown) => FailureReport,
): WordedDoctorReport => ({
  ...report,
  checks: report.checks.map((check) => {
    const words = wordsOf(check, reportFailure)
    // Every check has every key (README, "JSON output"): no hint is null.
    return { name: check.name, status: check.status, detail: words.detail, hint: words.hint }
  }),
})
