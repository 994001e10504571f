import { type BlockingSession, type MigrationResult, printable } from "@coderops/migrations"

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
  return `migrated ${versionText(result.from)} → ${versionText(result.to)}: ${result.steps.length} migration(s) in ${seconds.toFixed(2)} s`
}

/** "pid 42 (psql, user coder, idle in transaction: LOCK TABLE api_keys)", for each. */
export const describeBlockers = (sessions: ReadonlyArray<BlockingSession>) =>
  sessions
    .map((s) => {
      const facts = [
        s.applicationName || "no application_name",
        `user ${s.user}`,
        ...(s.state === undefined ? [] : [s.state]),
      ].join(", ")
      return `pid ${s.pid} (${facts}${s.query === undefined ? "" : `: ${printable(s.query)}`})`
    })
    .join("; ")
