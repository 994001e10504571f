import { countOf } from "@coderops/cli-kit"
import { type MigrationResult, printable } from "@coderops/migrations"

const versionText = (version: number | undefined) =>
  version === undefined ? "no version" : String(version)

/** One summary line for up/down/goto, or the plan with --dry-run. */
export const describeResult = (result: MigrationResult): string => {
  if (result.steps.length === 0) return `no change: the database is at ${versionText(result.from)}`
  if (result.dryRun) {
    return [
      `plan (dry run, nothing applied): ${versionText(result.from)} → ${versionText(result.to)}`,
      ...result.steps.map(
        (step) =>
          `  ${step.direction === "up" ? "↑" : "↓"} ${printable(step.name)}${step.noTransaction ? "  (no transaction: can leave the database dirty)" : ""}`,
      ),
    ].join("\n")
  }
  const seconds = result.steps.reduce((sum, step) => sum + (step.seconds ?? 0), 0)
  return `migrated ${versionText(result.from)} → ${versionText(result.to)}: ${countOf(result.steps.length, "migration")} in ${seconds.toFixed(3)} s`
}

/**
 * up/down/goto under --json: a dry run names what it would do apart from what a run
 * did (README, "JSON output"): `wouldMigrateTo` and `stepsToRun` instead of `to` and `steps`.
 */
export const resultJson = ({ to, steps, ...rest }: MigrationResult) =>
  rest.dryRun ? { ...rest, wouldMigrateTo: to, stepsToRun: steps } : { ...rest, to, steps }
