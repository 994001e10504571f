import type { Fit } from "../Fit.js"
import type { LockSpan } from "../InstrumentedRun.js"
import type { TableBlocking } from "../Probe.js"

export const escapeHtml = (text: string) =>
  text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")

const width = 560
const height = 220
const pad = { left: 60, right: 16, top: 16, bottom: 36 }
const plotW = width - pad.left - pad.right
const plotH = height - pad.top - pad.bottom

const n = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "0")

const tickLabel = (x: number) =>
  x >= 1_000_000 ? `${x / 1_000_000}M` : x >= 1000 ? `${x / 1000}k` : x >= 1 ? `${x}` : `${x}`

/**
 * Time against rows on log-log axes: the measured points, the fitted line out to the
 * real row count, and the extrapolated point. Log axes keep 1% and 100% on one chart.
 */
export const timeVsRowsChart = (title: string, fit: Fit) => {
  const xs = [...fit.points.map((p) => p.rows), fit.targetRows].filter((x) => x > 0)
  const ys = [...fit.points.map((p) => p.seconds), fit.predicted].filter((y) => y > 0)
  if (xs.length === 0 || ys.length === 0) return ""
  const lx = (x: number) => Math.log10(Math.max(x, 1e-9))
  const [x0, x1] = [Math.floor(lx(Math.min(...xs))), Math.ceil(lx(Math.max(...xs)) + 1e-9)]
  const [y0, y1] = [Math.floor(lx(Math.min(...ys))), Math.ceil(lx(Math.max(...ys)) + 1e-9)]
  const sx = (x: number) => pad.left + ((lx(x) - x0) / Math.max(1, x1 - x0)) * plotW
  const sy = (y: number) => pad.top + plotH - ((lx(y) - y0) / Math.max(1, y1 - y0)) * plotH
  const parts: Array<string> = []
  for (let e = x0; e <= x1; e++)
    parts.push(
      `<line x1="${n(sx(10 ** e))}" y1="${pad.top}" x2="${n(sx(10 ** e))}" y2="${pad.top + plotH}" class="grid"/>`,
      `<text x="${n(sx(10 ** e))}" y="${height - 18}" class="tick" text-anchor="middle">${tickLabel(10 ** e)}</text>`,
    )
  for (let e = y0; e <= y1; e++)
    parts.push(
      `<line x1="${pad.left}" y1="${n(sy(10 ** e))}" x2="${pad.left + plotW}" y2="${n(sy(10 ** e))}" class="grid"/>`,
      `<text x="${pad.left - 6}" y="${n(sy(10 ** e) + 4)}" class="tick" text-anchor="end">${tickLabel(10 ** e)} s</text>`,
    )
  const lineXs = Array.from({ length: 40 }, (_, i) => 10 ** (x0 + ((x1 - x0) * i) / 39))
  const path = lineXs
    .map((x) => [x, fit.intercept + fit.slope * x] as const)
    .filter(([, y]) => y > 0)
    .map(([x, y], i) => `${i === 0 ? "M" : "L"}${n(sx(x))},${n(sy(y))}`)
    .join(" ")
  if (path !== "") parts.push(`<path d="${path}" class="fit"/>`)
  for (const p of fit.points.filter((p) => p.rows > 0 && p.seconds > 0))
    parts.push(
      `<circle cx="${n(sx(p.rows))}" cy="${n(sy(p.seconds))}" r="4" class="measured"><title>${p.rows} rows: ${p.seconds.toFixed(3)} s</title></circle>`,
    )
  if (fit.predicted > 0)
    parts.push(
      `<rect x="${n(sx(fit.targetRows) - 5)}" y="${n(sy(fit.predicted) - 5)}" width="10" height="10" class="predicted"><title>${fit.targetRows} rows: ≈ ${fit.predicted.toFixed(2)} s</title></rect>`,
    )
  parts.push(
    `<text x="${pad.left + plotW / 2}" y="${height - 2}" class="axis" text-anchor="middle">rows (log)</text>`,
  )
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg class="chart time-vs-rows" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">${parts.join("")}</svg></figure>`
}

/**
 * One migration's locks over its run: a bar per lock from the statement that took it to
 * the commit, and under them, per table, when coderd's probes were blocked.
 */
export const lockTimelineChart = (
  title: string,
  seconds: number,
  locks: ReadonlyArray<LockSpan>,
  blocking: ReadonlyArray<TableBlocking>,
) => {
  const rows = [
    ...locks.map((l) => ({
      label: `${l.relation} ${l.mode.replace("Lock", "")}`,
      spans: [[l.fromSeconds, l.toSeconds] as const],
      cls: "lock",
    })),
    ...blocking
      .filter((b) => b.intervals.length > 0)
      .map((b) => ({ label: `coderd on ${b.table} blocked`, spans: b.intervals, cls: "blocked" })),
  ]
  const rowH = 18
  const h = pad.top + rows.length * rowH + 30
  const labelW = 230
  const plot = width + 120 - labelW - pad.right
  const end = Math.max(seconds, ...rows.flatMap((r) => r.spans.map((s) => s[1])), 1e-3)
  const sx = (t: number) => labelW + (Math.max(0, t) / end) * plot
  const parts = rows.flatMap((r, i) => [
    `<text x="${labelW - 6}" y="${pad.top + i * rowH + 12}" class="tick" text-anchor="end">${escapeHtml(r.label)}</text>`,
    ...r.spans.map(
      ([a, b]) =>
        `<rect x="${n(sx(a))}" y="${pad.top + i * rowH + 2}" width="${n(Math.max(1, sx(b) - sx(a)))}" height="${rowH - 4}" class="${r.cls}"><title>${a.toFixed(3)}–${b.toFixed(3)} s</title></rect>`,
    ),
  ])
  const axisY = pad.top + rows.length * rowH + 14
  parts.push(
    `<line x1="${labelW}" y1="${axisY - 10}" x2="${labelW + plot}" y2="${axisY - 10}" class="grid"/>`,
    `<text x="${labelW}" y="${axisY + 6}" class="tick">0 s</text>`,
    `<text x="${labelW + plot}" y="${axisY + 6}" class="tick" text-anchor="end">${end.toFixed(2)} s</text>`,
  )
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg class="chart lock-timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width + 120} ${h}" width="${width + 120}" height="${h}" role="img">${parts.join("")}</svg></figure>`
}
