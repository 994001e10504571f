import type { Estimate } from "./Extrapolate.js"
import { scalesLinearly } from "./Fit.js"
import { escapeHtml, lockTimelineChart, timeVsRowsChart } from "./internal/svg.js"
import { describeRecommendation, recommend, secondsText } from "./Recommendations.js"
import type { Rehearsal, Variant } from "./Rehearsal.js"

const style = `body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px}
.grid{stroke:#ddd}.tick,.axis{font-size:11px;fill:#555}.fit{fill:none;stroke:#36c;stroke-width:1.5}
.measured{fill:#36c}.predicted{fill:#c33}.lock{fill:#f0a030}.blocked{fill:#d33}
.warn{color:#a40}figure{margin:.5em 0 1.5em}figcaption{font-weight:600}`

/** Statements worth a chart: the costliest (≥ 100 ms extrapolated), at most five. */
const costly = (estimate: Estimate) =>
  [...estimate.statements]
    .filter((s) => s.fit.predicted >= 0.1)
    .sort((a, b) => b.fit.predicted - a.fit.predicted)
    .slice(0, 5)

const fitCell = (predicted: number, se: number | undefined) =>
  `${secondsText(predicted)}${se === undefined ? "" : ` ± ${secondsText(se)}`}`

const migrationSection = (variant: Variant, estimate: Estimate, m: number) => {
  const largest = variant.runs.filter((r) => r.scale <= 1).at(-1)
  const measured = largest?.migrations[m]
  const statements = estimate.statements
    .map((s) => {
      const at = measured?.statements[s.index]
      return `<tr><td class="num">${s.line}</td><td><code>${escapeHtml(s.text)}</code></td><td>${escapeHtml(s.locks.map((l) => `${l.mode.replace("Lock", "")} ${l.relation}`).join(", "))}</td><td>${escapeHtml(s.rewritten.join(", "))}</td><td class="num">${at === undefined ? "" : secondsText(at.seconds)}</td><td class="num">${at?.rows ?? ""}</td><td class="num">${at === undefined ? "" : Math.round(at.walBytes / 1024)}</td><td class="num">${fitCell(s.fit.predicted, s.fit.standardError)}</td><td class="num">${s.fit.r2.toFixed(3)}</td><td class="${scalesLinearly(s.fit) ? "" : "warn"}">${s.fit.growth}</td></tr>`
    })
    .join("")
  const blocking = estimate.blocking
    .map(
      (b) =>
        `<tr><td>${escapeHtml(b.table)}</td><td class="num">${fitCell(b.blocked.predicted, b.blocked.standardError)}</td><td class="num">${secondsText(b.longest.predicted)}</td><td class="num">${b.blocked.r2.toFixed(3)}</td><td class="num">${b.measuredFull === undefined ? "" : secondsText(b.measuredFull)}</td></tr>`,
    )
    .join("")
  const charts = costly(estimate)
    .map((s) => timeVsRowsChart(`line ${s.line}: ${s.text} — rows of ${s.table ?? "?"}`, s.fit))
    .join("")
  const timeline =
    measured === undefined
      ? ""
      : lockTimelineChart(
          `lock timeline at ${(largest?.scale ?? 0) * 100}% (${measured.seconds.toFixed(3)} s)`,
          measured.seconds,
          measured.locks,
          measured.blocking,
        )
  return `<section class="migration" id="migration-${variant.name}-${estimate.version}" data-version="${estimate.version}">
<h3>${escapeHtml(estimate.name)}</h3>
<p>Whole migration ≈ <b>${fitCell(estimate.seconds.predicted, estimate.seconds.standardError)}</b> at ${estimate.table === undefined ? "full size" : `${estimate.seconds.targetRows} rows of ${escapeHtml(estimate.table)}`}${estimate.measuredFullSeconds === undefined ? "" : `; measured at 100%: ${secondsText(estimate.measuredFullSeconds)}`}.</p>
<table><tr><th>table</th><th>coderd blocked (extrapolated)</th><th>longest wait</th><th>R²</th><th>measured at 100%</th></tr>${blocking}</table>
${timeline}
<table><tr><th>line</th><th>statement</th><th>locks taken</th><th>rewrote</th><th>time at ${(largest?.scale ?? 0) * 100}%</th><th>rows</th><th>WAL kB</th><th>extrapolated</th><th>R²</th><th>growth</th></tr>${statements}</table>
${charts}
</section>`
}

const driftHtml = (rehearsal: Rehearsal) => {
  const drift = rehearsal.drift
  if (drift === undefined) return ""
  const items = [
    ...drift.missing.map((o) => `missing from the database: ${o.kind} ${o.name}`),
    ...drift.extra.map((o) => `only in the database: ${o.kind} ${o.name}`),
    ...drift.changed.map((o) => `different in the database: ${o.kind} ${o.name}`),
  ]
  return `<h2>Schema drift</h2>${items.length === 0 ? "<p>none: the database's schema is the one its migrations make.</p>" : `<p class="warn">The rehearsal ran on the schema the migrations make; the database differs:</p><ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ul>`}`
}

const MB = 1024 * 1024

/** Where the scratch databases were, and the memory they had. */
const scratchText = (rehearsal: Rehearsal) =>
  rehearsal.scaledFrom === undefined
    ? `Scratch databases on ${escapeHtml(rehearsal.scratchServer ?? "the database's server")}.`
    : `Scratch databases on a server of the rehearsal's own, its memory the database server's scaled with the rows (at 100%: shared_buffers ${Math.round(rehearsal.scaledFrom.sharedBuffersBytes / MB)} MB, max_wal_size ${Math.round(rehearsal.scaledFrom.maxWalSizeBytes / MB)} MB).`

/**
 * The rehearsal as one self-contained HTML page: no script, no stylesheet or font to
 * fetch; charts are inline SVG (time against rows of each costly statement, the lock
 * timeline of each migration), then the recommendations.
 */
export const rehearsalHtml = (
  rehearsal: Rehearsal,
  words?: Parameters<typeof describeRecommendation>[1],
) => {
  const recommendations = recommend(rehearsal)
  const variants = rehearsal.variants
    .map(
      (v) =>
        `<h2>${v.name === "as-is" ? "As is" : "After a purge of API keys expired over 7 days"}</h2>${v.estimates.map((e, m) => migrationSection(v, e, m)).join("")}`,
    )
    .join("")
  const rows = Object.entries(rehearsal.realRows)
    .map(([t, r]) => `<tr><td>${escapeHtml(t)}</td><td class="num">${r}</td></tr>`)
    .join("")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Migration rehearsal ${rehearsal.databaseVersion ?? "empty"} → ${rehearsal.targetVersion ?? "?"}</title><style>${style}</style></head>
<body>
<h1>Migration rehearsal: ${rehearsal.databaseVersion ?? "empty database"} → ${rehearsal.targetVersion ?? "?"}</h1>
<p>Pending: ${rehearsal.pending.map((p) => escapeHtml(p.name)).join(", ") || "none"}. Scales: ${rehearsal.scales.map((s) => `${s * 100}%`).join(", ")}; data shaped by ${rehearsal.dataFrom === "statistics" ? "the database's statistics" : "column types only"}${rehearsal.fallbackColumns.length > 0 ? ` (by type: ${escapeHtml(rehearsal.fallbackColumns.join(", "))})` : ""}; lock_timeout ${rehearsal.lockTimeoutSeconds} s; ${rehearsal.seconds.toFixed(1)} s. ${scratchText(rehearsal)}</p>
<table><tr><th>table</th><th>rows at 100%</th></tr>${rows}</table>
${driftHtml(rehearsal)}
<h2>Recommendations</h2>
<ul class="recommendations">${recommendations.map((r) => `<li>${escapeHtml(describeRecommendation(r, words))}</li>`).join("") || "<li>none: nothing blocks coderd for long</li>"}</ul>
${variants}
</body></html>
`
}
