import { countOf, formatBytes } from "@coderops/cli-kit"
import type { Estimate, Recommendation, Rehearsal, UpgradePlan } from "@coderops/rehearse"
import { describeRecommendation, measuredWhole, secondsText } from "@coderops/rehearse"

const pad6 = (v: number) => String(v).padStart(6, "0")

/** The CLI's words for the actions: the commands that do them. */
const wordsFor = (bin: string) => ({ purgeAction: `run \`${bin} db purge api-keys\`` })

export const recommendationLines = (recommendations: ReadonlyArray<Recommendation>, bin: string) =>
  recommendations.map((r) => describeRecommendation(r, wordsFor(bin)))

const fitText = (predicted: number, se: number | undefined) =>
  `≈ ${secondsText(predicted)}${se === undefined ? "" : ` ± ${secondsText(se)}`}`

const estimateLines = (e: Estimate) => [
  `  ${e.name}: ${fitText(e.seconds.predicted, e.seconds.standardError)}${e.measuredFullSeconds === undefined || e.seconds.growth === "measured" ? "" : ` (measured at 100%: ${secondsText(e.measuredFullSeconds)})`}`,
  ...e.blocking.map(
    (b) =>
      `    coderd blocked on ${b.table}: ${fitText(b.blocked.predicted, b.blocked.standardError)} (longest wait ≈ ${secondsText(b.longest.predicted)}${b.blocked.growth === "measured" ? "" : `, R² ${b.blocked.r2.toFixed(2)}`})${b.measuredFull === undefined || b.blocked.growth === "measured" ? "" : `; measured at 100%: ${secondsText(b.measuredFull)}`}`,
  ),
  ...[...e.statements]
    .filter((s) => s.fit.predicted >= 0.05)
    .sort((a, b) => b.fit.predicted - a.fit.predicted)
    .slice(0, 5)
    .map(
      (s) =>
        `    line ${s.line} ${s.text}: ${fitText(s.fit.predicted, s.fit.standardError)}, ${s.fit.growth}${s.locks.length === 0 ? "" : `; locks ${s.locks.map((l) => `${l.mode.replace("Lock", "")} ${l.relation}`).join(", ")}`}${s.rewritten.length === 0 ? "" : `; rewrites ${s.rewritten.join(", ")}`}`,
    ),
]

/** How the database's schema differs from the one the rehearsal ran on. */
const driftLines = (r: Rehearsal): ReadonlyArray<string> => {
  if (r.drift === undefined) return []
  const differ = [
    ...r.drift.missing.map((o) => `missing from the database: ${o.kind} ${o.name}`),
    ...r.drift.extra.map((o) => `only in the database: ${o.kind} ${o.name}`),
    ...r.drift.changed.map((o) => `different in the database: ${o.kind} ${o.name}`),
  ]
  return differ.length === 0
    ? ["schema: the database's is the one its migrations make (no drift)"]
    : [
        "schema drift (the rehearsal ran on the schema the migrations make):",
        ...differ.map((d) => `  ${d}`),
      ]
}

/** The rehearsal for a terminal: per variant and migration, what blocks coderd and how long. */
export const rehearsalText = (
  r: Rehearsal,
  recommendations: ReadonlyArray<Recommendation>,
  bin: string,
) => {
  const lines = [
    `rehearsed ${countOf(r.pending.length, "pending migration")}, ${r.databaseVersion ?? "empty"} → ${r.targetVersion ?? "?"}, at ${r.scales.map((s) => `${s * 100}%`).join(", ")} of ${Object.entries(
      r.realRows,
    )
      .map(([t, n]) => `${n} ${t}`)
      .join(
        ", ",
      )} (data from ${r.dataFrom === "statistics" ? "the database's statistics" : "column types"}), in ${r.seconds.toFixed(1)} s; ${measuredWhole(r) ? "measured, not extrapolated" : "extrapolated to 100%"}:`,
    r.scratchServer !== undefined
      ? `scratch databases on ${r.scratchServer}`
      : `scratch databases on a server of the rehearsal's own, its memory scaled with the rows from the database's server (shared_buffers ${formatBytes(r.scaledFrom?.sharedBuffersBytes ?? 0)}, max_wal_size ${formatBytes(r.scaledFrom?.maxWalSizeBytes ?? 0)} at 100%)`,
    ...r.cacheWarnings.map(
      (w) =>
        `warning: ${w.table} (${formatBytes(w.bytes)} at ${w.scale * 100}%) fitted the scratch server's shared_buffers (${formatBytes(w.sharedBuffersBytes)}); at 100% (≈ ${formatBytes(w.fullBytes)}) it does not, and what walks it can cost more per row than extrapolated: check with --full or larger --scales, or a server with production's cache (--scratch-url)`,
    ),
    ...driftLines(r),
  ]
  for (const variant of r.variants) {
    lines.push(
      variant.name === "as-is" ? "as is:" : "after a purge of API keys expired over 7 days:",
    )
    for (const e of variant.estimates) lines.push(...estimateLines(e))
  }
  const advice = recommendationLines(recommendations, bin)
  if (advice.length > 0) lines.push("", "recommended:", ...advice.map((a) => `  - ${a}`))
  return lines.join("\n")
}

const coderAdvice = (plan: UpgradePlan) => [
  "Scale coderd to one replica for the upgrade: only one replica runs the migrations (under Coder's migration lock); the others would wait on it and on the locked tables.",
  `Coder waits at most CODER_PG_MIGRATION_LOCK_TIMEOUT (default 3s) for each migration's locks${plan.rehearsal === undefined ? "" : ` (rehearsed with ${plan.rehearsal.lockTimeoutSeconds} s)`}: raise it only if a migration fails on a lock held by a long-running query, and look for that query first.`,
  `Expected downtime of the migrations: ${
    plan.rehearsal === undefined
      ? "rehearse to measure it"
      : `≈ ${secondsText(
          (plan.rehearsal.variants.at(-1)?.estimates ?? []).reduce(
            (s, e) => s + e.seconds.predicted,
            0,
          ),
        )}${plan.rehearsal.variants.length > 1 ? " (after the purge)" : ""}`
  }.`,
]

/** The plan as Markdown for a change ticket, or as plain text. */
export const planDocument = (plan: UpgradePlan, bin: string, markdown: boolean) => {
  const h = (text: string) => (markdown ? `## ${text}` : `${text.toUpperCase()}`)
  const code = (text: string) => (markdown ? `\`${text}\`` : text)
  const out = [
    markdown
      ? `# Coder database upgrade: ${plan.databaseVersion ?? "empty"} → ${plan.targetVersion ?? "?"}`
      : `upgrade ${plan.databaseVersion ?? "empty"} → ${plan.targetVersion ?? "?"}`,
    "",
    h("Pending migrations"),
    ...(plan.pending.length === 0
      ? ["none: the database is up to date"]
      : plan.pending.map((p) => `- ${code(p.name)}`)),
    "",
    h("Lint findings"),
    ...(plan.lint.findings.length === 0
      ? ["none"]
      : plan.lint.findings.map(
          (f) =>
            `- ${f.severity} ${code(pad6(f.version))} line ${f.line} ${code(f.rule)}: ${f.message}`,
        )),
    "",
  ]
  if (plan.rehearsal !== undefined) {
    out.push(
      h(
        measuredWhole(plan.rehearsal)
          ? "Rehearsal (measured at the real row counts)"
          : "Rehearsal (measured, extrapolated to the real row counts)",
      ),
      ...driftLines(plan.rehearsal),
      "",
    )
    for (const variant of plan.rehearsal.variants) {
      out.push(
        variant.name === "as-is" ? "As is:" : "After a purge of API keys expired over 7 days:",
        "",
      )
      if (markdown) {
        out.push(
          "| migration | table | coderd blocked | longest wait | whole migration |",
          "| --- | --- | --- | --- | --- |",
        )
        for (const e of variant.estimates)
          for (const b of e.blocking)
            out.push(
              `| ${pad6(e.version)} | ${b.table} | ${fitText(b.blocked.predicted, b.blocked.standardError)} | ≈ ${secondsText(b.longest.predicted)} | ${fitText(e.seconds.predicted, e.seconds.standardError)} |`,
            )
      } else for (const e of variant.estimates) out.push(...estimateLines(e))
      out.push("")
    }
  }
  out.push(h("Actions"))
  const actions = recommendationLines(plan.recommendations, bin)
  if (plan.rehearsal === undefined)
    actions.unshift(`rehearse for measured lock times: ${code(`${bin} upgrade plan --rehearse`)}`)
  out.push(
    ...actions.map((a) => `- ${a}`),
    "",
    h("Coder"),
    ...coderAdvice(plan).map((a) => `- ${a}`),
  )
  return out.join("\n")
}
