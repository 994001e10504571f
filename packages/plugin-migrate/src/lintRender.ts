import { relative } from "node:path"
import { countOf, type ErrorTable, ExitCode, errorTable } from "@coderops/cli-kit"
import type { Finding, LintReport, UnknownLintVersion } from "@coderops/lint"
import { printable } from "@coderops/migrations"

/** The wording of the lint library's errors. */
export const lintErrors = (bin: string): ErrorTable =>
  errorTable<UnknownLintVersion>({
    UnknownLintVersion: () => ({
      hint: `give a version the directory holds (\`${bin} migrate status --all\` lists them)`,
      exitCode: ExitCode.invalidConfig,
    }),
  })

const mark = { error: "error  ", warning: "warning", note: "note   " } as const

/** What the CLI adds to a finding: the command that does the purge before the upgrade. */
const purgeAdvice = (finding: Finding, bin: string): string | undefined =>
  finding.rule === "purge-before-rewrite" || finding.purgeableRows !== undefined
    ? `run \`${bin} db purge api-keys --retention 168h\` before the upgrade${finding.purgeableRows === undefined ? "" : ` (it would remove ${finding.purgeableRows.toLocaleString("en-US")} rows in short batches)`}`
    : undefined

const findingLines = (finding: Finding, bin: string): ReadonlyArray<string> => {
  const advice = purgeAdvice(finding, bin)
  const locks =
    finding.locks.length === 0
      ? undefined
      : `locks: ${finding.locks.map((l) => `${l.mode} on ${l.relation}`).join(", ")}`
  return [
    `  ${finding.line}:${finding.column}  ${mark[finding.severity]}  ${finding.rule}  ${finding.message}`,
    `      why: ${finding.why}`,
    `      instead: ${finding.instead}`,
    ...(advice === undefined ? [] : [`      now: ${advice}`]),
    ...(locks === undefined ? [] : [`      traced: ${locks}`]),
    ...(finding.ignored === undefined ? [] : [`      ignored: ${finding.ignored}`]),
  ]
}

/** Text grouped by migration, then the totals. */
export const lintText = (
  report: LintReport,
  options: { readonly bin: string; readonly showIgnored: boolean; readonly root: string },
): string => {
  const lines: Array<string> = []
  for (const migration of report.migrations) {
    const shown = migration.findings.filter((f) => options.showIgnored || f.ignored === undefined)
    if (shown.length === 0) continue
    const path = relative(options.root, migration.file)
    lines.push(printable(path.startsWith("..") ? migration.file : path))
    for (const finding of shown) lines.push(...findingLines(finding, options.bin))
    lines.push("")
  }
  const { error, warning, note } = report.counts
  const silenced = report.ignored.length
  lines.push(
    `${countOf(report.migrations.length, "migration")} linted${report.databaseVersion === undefined ? "" : ` from version ${report.databaseVersion}`}: ${countOf(error, "error")}, ${countOf(warning, "warning")}, ${countOf(note, "note")}${silenced > 0 ? `, ${silenced} silenced${options.showIgnored ? "" : " (--show-ignored)"}` : ""}; scratch schema built in ${report.timings.scratchSeconds.toFixed(2)} s, linted in ${report.timings.lintSeconds.toFixed(2)} s`,
  )
  if (!report.sized) {
    lines.push(
      "not sized: no database given (--database-url or CODER_PG_CONNECTION_URL), so findings carry no row counts or lock estimates",
    )
  }
  return lines.join("\n")
}
