import { BaseCommand, ExitCode } from "@coderops/cli-kit"
import { type CheckStatus, runDoctor } from "@coderops/inspect"
import { type WordedDoctorReport, wordDoctorReport } from "../doctorWording.js"

const marks: Record<CheckStatus, string> = { pass: "✓", warn: "!", fail: "✗", skip: "-" }

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary =
    "Check that coderops can work with the database: connectivity, version, privileges."

  static override description =
    "Runs every check and reports each as pass, warn or fail with a hint. Exits 1 when any check fails, 0 otherwise (warnings included)."

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "CODER_PG_CONNECTION_URL=postgres://coder@db/coder <%= config.bin %> <%= command.id %> --json",
  ]

  async run(): Promise<WordedDoctorReport> {
    const report = wordDoctorReport(await this.runDb(runDoctor()), (error) =>
      this.reportFailure(error),
    )
    if (!this.jsonEnabled()) {
      this.log(`Checking ${report.target} (from ${report.source})\n`)
      for (const check of report.checks) {
        this.log(`${marks[check.status]} ${check.name.padEnd(20)} ${check.detail}`)
        if (check.hint && check.status !== "pass")
          this.log(`  ${"".padEnd(20)} hint: ${check.hint}`)
      }
    }
    if (!report.ok) process.exitCode = ExitCode.failure
    return report
  }
}
