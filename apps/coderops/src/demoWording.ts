import { countOf, describeProgress, formatCount, formatElapsed } from "@coderops/cli-kit"
import type { DemoProgress, DemoStep, DemoSummary, Sample } from "@coderops/demo"
import { secondsText } from "@coderops/rehearse"

/** A step done: a mark, its title, its duration; its finding below. */
export const stepLines = (step: DemoStep): ReadonlyArray<string> => [
  `✓ ${step.title.padEnd(76)} ${formatElapsed(step.seconds).padStart(6)}`,
  `    ${step.detail}`,
]

/** The live line of a long step. */
export const progressText = (progress: DemoProgress): string => {
  switch (progress.kind) {
    case "seed":
      return `  seeding ${progress.progress.table}: ${describeProgress({ done: progress.progress.rows, total: progress.progress.total, seconds: progress.progress.seconds, unit: "rows" })}`
    case "rehearse":
      return `  rehearsing the ${progress.form} form ${progress.step}`
    case "purge":
      return `  purging: ${describeProgress({ done: progress.progress.purged, total: progress.progress.total, seconds: progress.progress.seconds, unit: "keys" })}`
    case "watch": {
      const { migrating, running, blockedByTable } = progress.snapshot
      if (migrating === undefined) return "  watch: no migration running"
      const statement =
        running?.statement === undefined
          ? ""
          : `, statement ${running.statement.index}/${running.statement.count} (line ${running.statement.line}: ${running.statement.text})`
      const queued = blockedByTable.map((t) => `${countOf(t.sessions, "session")} on ${t.relation}`)
      return `  watch: ${running?.file ?? "a migration"} running for ${formatElapsed(migrating.transactionSeconds ?? 0)}${statement}${queued.length === 0 ? "" : `; queued behind it: ${queued.join(", ")}`}`
    }
  }
}

/** The exporter's series the summary shows (all of them are in --json). */
const shown = (s: Sample) =>
  [
    "coderops_schema_migrations_version",
    "coderops_schema_migrations_dirty",
    "coderops_api_keys_expired_7d_estimate",
    "coderops_prebuilds_organizations",
    "coderops_prebuilds_organizations_missing",
    "coderops_prebuilds_reconcile_actions_total",
  ].includes(s.name) ||
  (s.name === "coderops_table_rows_estimate" && s.labels.table === "api_keys") ||
  (s.name === "coderops_db_queries_total" && /Prebuild/.test(s.labels.query ?? ""))

const sampleLine = (s: Sample) => {
  const labels = Object.entries(s.labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")
  return `  ${s.name}${labels === "" ? "" : `{${labels}}`} ${s.value}`
}

/** The summary: what was measured, in a person's words, and where the database is. */
export const summaryLines = (
  summary: DemoSummary,
  bin: string,
  env: Readonly<Record<string, string | undefined>>,
): ReadonlyArray<string> => {
  const { lockTime, plan, reconcile, deployment } = summary
  const rules = (findings: DemoSummary["plan"]["slow"]["findings"]) =>
    findings.length === 0 ? "none" : [...new Set(findings.map((f) => f.rule))].join(", ")
  const metrics = summary.metrics.filter(shown)
  const lines = [
    "",
    `What coderops measured (${summary.size}: ${formatCount(deployment.organizations)} organizations, ${formatCount(deployment.presets)} presets, ${formatCount(deployment.apiKeys)} API keys; ${formatElapsed(summary.seconds)})`,
    "",
    "Migration 000371 on api_keys (how long coderd's queries on it wait):",
    `  before the purge, original form  ≈ ${secondsText(lockTime.beforePurge.seconds).padEnd(8)} ${lockTime.beforePurge.how}: ${lockTime.beforePurge.source}`,
    `  after the purge, fast form         ${secondsText(lockTime.afterPurge.seconds).padEnd(8)} ${lockTime.afterPurge.how}: ${lockTime.afterPurge.source}`,
    lockTime.ratio === undefined
      ? "  after the purge, no query waited longer than the probe notices (20 ms)"
      : `  ${lockTime.ratio >= 10 ? Math.round(lockTime.ratio) : lockTime.ratio.toFixed(1)}× shorter`,
    "",
    `Lint of 000371: original form ${countOf(plan.slow.findings.length, "finding")} (${rules(plan.slow.findings)}); fast form ${countOf(plan.fast.findings.length, "finding")} (${rules(plan.fast.findings)})`,
    `Purge: ${countOf(summary.purge.purged, "expired key")} deleted in ${countOf(summary.purge.batches, "batch", "batches")}, ${formatElapsed(summary.purge.seconds)}`,
    `Watch: ${summary.apply.readingsWhileMigrating} of ${countOf(summary.apply.readings, "reading")} saw 000371 run; at most ${countOf(summary.apply.mostBlockedSessions, "session")} queued behind it`,
    `Prebuilds reconcile: cold pass ${countOf(reconcile.cold.queries, "query", "queries")} (${countOf(reconcile.cold.membershipsCreated, "membership")}, ${countOf(reconcile.cold.groupsCreated, "group")}, ${countOf(reconcile.cold.groupMembershipsCreated, "group membership")} created); steady pass ${countOf(reconcile.steady.queries, "query", "queries")}`,
    "",
    `The exporter's metrics (a selection; all of them with --json or --metrics-file FILE):`,
    ...metrics.map(sampleLine),
    "",
  ]
  if (!summary.database.kept) return [...lines, `Database ${summary.database.name} dropped.`]
  const dataDir = env.CODEROPS_DATA_DIR ? ` CODEROPS_DATA_DIR=${env.CODEROPS_DATA_DIR}` : ""
  return [
    ...lines,
    `Kept database ${summary.database.name} at version ${summary.database.version} on the embedded server: ${summary.database.url}`,
    "Explore it with the other commands:",
    `  export${dataDir} CODEROPS_EMBEDDED_DATABASE=${summary.database.name}`,
    `  ${bin} migrate status`,
    `  ${bin} prebuilds status`,
    `  ${bin} db info`,
    `Remove it: ${bin} demo --drop (another ${bin} demo replaces it).`,
  ]
}
