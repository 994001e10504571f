// Draws Grafana-like panels (timeseries, stat, bargauge) as SVG inside an HTML page, from
// series a PromQL evaluation produced: [{ legend, points: [[seconds, value]] }]. Used by
// dashboard-screenshots.mjs; the page is then photographed by headless Chromium.

const palette = [
  "#73bf69",
  "#f2cc0c",
  "#5794f2",
  "#ff780a",
  "#f2495c",
  "#b877d9",
  "#8ab8ff",
  "#fade2a",
  "#37872d",
  "#c4162a",
]

const escapeHtml = (text) =>
  String(text).replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c],
  )

/** A value in the panel's unit, as Grafana would show it (roughly). */
export const formatValue = (value, unit) => {
  if (!Number.isFinite(value)) return "–"
  const scaled = (units, base) => {
    let i = 0
    let v = value
    while (Math.abs(v) >= base && i < units.length - 1) {
      v /= base
      i++
    }
    return `${Number(v.toPrecision(3))} ${units[i]}`.trim()
  }
  switch (unit) {
    case "s":
      if (value === 0) return "0 s"
      if (Math.abs(value) < 0.001) return `${Number((value * 1e6).toPrecision(3))} µs`
      if (Math.abs(value) < 1) return `${Number((value * 1000).toPrecision(3))} ms`
      return `${Number(value.toPrecision(3))} s`
    case "bytes":
      return scaled(["B", "KiB", "MiB", "GiB", "TiB"], 1024)
    case "ops":
      return `${scaled(["", "k", "M"], 1000)} ops/s`.replace("  ", " ")
    default:
      return scaled(["", "k", "M", "G"], 1000)
  }
}

const timeLabel = (seconds, start) => {
  const elapsed = Math.round(seconds - start)
  return `${Math.floor(elapsed / 60)}:${String(elapsed % 60).padStart(2, "0")}`
}

const timeseries = (panel, width, height, range) => {
  // The busiest series first, in the legend too (Grafana's legend sorted by mean).
  const mean = (s) => {
    const values = s.points.map(([, v]) => v).filter(Number.isFinite)
    return values.reduce((a, b) => a + b, 0) / (values.length || 1)
  }
  panel = { ...panel, series: [...panel.series].sort((a, b) => mean(b) - mean(a)) }
  const pad = { left: 70, right: 12, top: 8, bottom: 22 }
  const legendRows = Math.min(panel.series.length, 6)
  const plotHeight = height - pad.top - pad.bottom - legendRows * 16 - 14
  const values = panel.series.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite)
  const min = Math.min(0, ...values)
  const top = values.length ? Math.max(...values) : 1
  // Four steps of 1, 2, 2.5 or 5 times a power of ten (times a power of 1024 for bytes).
  const raw = (top === min ? 1 : top - min) / 4
  const binary =
    panel.unit === "bytes" ? 1024 ** Math.max(0, Math.floor(Math.log(raw) / Math.log(1024))) : 1
  const decimal = 10 ** Math.floor(Math.log10(raw / binary))
  const step =
    [1, 2, 2.5, 5, 10].find((m) => m * decimal * binary >= raw * 0.999) * decimal * binary
  const max = min + 4 * step
  const x = (t) =>
    pad.left + ((t - range.start) / (range.end - range.start)) * (width - pad.left - pad.right)
  const y = (v) => pad.top + plotHeight - ((v - min) / (max - min)) * plotHeight
  const parts = []
  for (let i = 0; i <= 4; i++) {
    const v = min + ((max - min) * i) / 4
    parts.push(
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/>`,
      `<text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end">${escapeHtml(formatValue(v, panel.unit))}</text>`,
    )
  }
  for (let i = 0; i <= 6; i++) {
    const t = range.start + ((range.end - range.start) * i) / 6
    parts.push(
      `<text x="${x(t)}" y="${pad.top + plotHeight + 16}" text-anchor="middle">${timeLabel(t, range.start)}</text>`,
    )
  }
  panel.series.forEach((s, i) => {
    const color = palette[i % palette.length]
    // A gap (no value at a step) breaks the line, as in Grafana.
    const runs = [[]]
    for (const [t, v] of s.points) {
      if (Number.isFinite(v)) runs[runs.length - 1].push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`)
      else if (runs[runs.length - 1].length > 0) runs.push([])
    }
    for (const run of runs.filter((r) => r.length > 0)) {
      parts.push(
        run.length === 1
          ? `<circle cx="${run[0].split(",")[0]}" cy="${run[0].split(",")[1]}" r="2.5" fill="${color}"/>`
          : `<polyline fill="none" stroke="${color}" stroke-width="1.6" points="${run.join(" ")}"/>`,
      )
    }
  })
  const legendTop = pad.top + plotHeight + pad.bottom + 14
  panel.series.slice(0, legendRows).forEach((s, i) => {
    const last = s.points.findLast(([, v]) => Number.isFinite(v))
    const label =
      i === 5 && panel.series.length > 6 ? `… and ${panel.series.length - 5} more` : s.legend
    parts.push(
      `<rect x="${pad.left}" y="${legendTop + i * 16 - 9}" width="12" height="4" fill="${palette[i % palette.length]}"/>`,
      `<text x="${pad.left + 18}" y="${legendTop + i * 16 - 4}">${escapeHtml(label)}${last && !(i === 5 && panel.series.length > 6) ? ` — last ${escapeHtml(formatValue(last[1], panel.unit))}` : ""}</text>`,
    )
  })
  if (values.length === 0)
    parts.push(
      `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="none">No data</text>`,
    )
  return parts.join("")
}

/**
 * A stat panel: per series (Grafana shows one value per series, side by side) the last
 * value through the panel's value mappings, over its sparkline.
 */
const stat = (panel, width, height) => {
  if (panel.series.length === 0)
    return `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="none">No data</text>`
  const each = width / panel.series.length
  return panel.series
    .map(
      (line, i) =>
        `<g transform="translate(${i * each},0)">${statValue(panel, line, each, height, panel.series.length > 1)}</g>`,
    )
    .join("")
}

const statValue = (panel, line, width, height, named) => {
  const points = line.points.filter(([, v]) => Number.isFinite(v))
  const last = points.at(-1)
  const mapped = (value) => {
    for (const mapping of panel.fieldConfig?.defaults?.mappings ?? [])
      if (mapping.type === "value" && mapping.options[String(value)])
        return mapping.options[String(value)].text
    return formatValue(value, panel.unit)
  }
  const text = last ? mapped(last[1]) : "No data"
  const background = panel.options?.colorMode === "background" && last
  const size = Math.min(height * 0.4, (width / Math.max(text.length, 3)) * 1.2)
  const parts = []
  if (background) parts.push(`<rect x="1" width="${width - 2}" height="${height}" fill="#37872d"/>`)
  if (points.length > 1) {
    const values = points.map(([, v]) => v)
    const min = Math.min(...values)
    const max = Math.max(...values) === min ? min + 1 : Math.max(...values)
    const t0 = points[0][0]
    const span = points.at(-1)[0] - t0 || 1
    const xy = points.map(
      ([t, v]) =>
        `${((t - t0) / span) * width},${height - 4 - ((v - min) / (max - min)) * height * 0.35}`,
    )
    parts.push(
      `<polygon points="0,${height} ${xy.join(" ")} ${width},${height}" fill="${background ? "#ffffff22" : "#73bf6933"}" stroke="${background ? "#ffffff88" : "#73bf69"}"/>`,
    )
  }
  if (named)
    parts.push(
      `<text x="${width / 2}" y="16" text-anchor="middle">${escapeHtml(line.legend)}</text>`,
    )
  parts.push(
    `<text x="${width / 2}" y="${height * 0.45 + size / 3}" text-anchor="middle" style="font-size:${size}px;font-weight:500;fill:${background ? "#fff" : last ? "#73bf69" : "#8e8e8e"}">${escapeHtml(text)}</text>`,
  )
  return parts.join("")
}

const bargauge = (panel, width, height) => {
  const bars = panel.series
    .map((s) => ({
      legend: s.legend,
      value: s.points.findLast(([, v]) => Number.isFinite(v))?.[1],
    }))
    .filter((bar) => bar.value !== undefined)
    .sort((a, b) => b.value - a.value)
  if (bars.length === 0)
    return `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="none">No data</text>`
  const max = Math.max(...bars.map((bar) => bar.value)) || 1
  const row = Math.min(28, (height - 8) / bars.length)
  return bars
    .map((bar, i) => {
      const top = 4 + i * row
      const barWidth = ((width - 260) * bar.value) / max
      return `<text x="6" y="${top + row / 2 + 4}">${escapeHtml(bar.legend)}</text><rect x="150" y="${top + 3}" width="${Math.max(barWidth, 1)}" height="${row - 6}" fill="#73bf69"/><text x="${156 + barWidth}" y="${top + row / 2 + 4}">${escapeHtml(formatValue(bar.value, panel.unit))}</text>`
    })
    .join("")
}

/**
 * One HTML page with a dashboard row's panels placed by their gridPos (24 columns,
 * `cell` pixels per grid height unit), each drawn as SVG.
 */
export const rowPage = ({ title, panels: placed, range, width, note }) => {
  const column = width / 24
  // Grafana packs panels upwards (a gap in gridPos.y does not show): each goes as high as
  // the panels above it allow.
  const panels = []
  for (const panel of [...placed].sort(
    (a, b) => a.gridPos.y - b.gridPos.y || a.gridPos.x - b.gridPos.x,
  )) {
    const { x, w } = panel.gridPos
    const above = panels.filter((p) => p.gridPos.x < x + w && x < p.gridPos.x + p.gridPos.w)
    const y = Math.max(
      Math.min(...placed.map((p) => p.gridPos.y)),
      ...above.map((p) => p.gridPos.y + p.gridPos.h),
    )
    panels.push({ ...panel, gridPos: { ...panel.gridPos, y } })
  }
  const cell = 34
  const top = Math.min(...panels.map((panel) => panel.gridPos.y))
  const bottom = Math.max(...panels.map((panel) => panel.gridPos.y + panel.gridPos.h))
  const height = (bottom - top) * cell
  const boxes = panels.map((panel) => {
    const w = panel.gridPos.w * column - 8
    const h = panel.gridPos.h * cell - 8
    const body = h - 30
    const draw = panel.type === "stat" ? stat : panel.type === "bargauge" ? bargauge : timeseries
    return `<div class="panel" style="left:${panel.gridPos.x * column + 4}px;top:${(panel.gridPos.y - top) * cell + 4}px;width:${w}px;height:${h}px"><div class="title">${escapeHtml(panel.title)}</div><svg width="${w}" height="${body}">${draw(panel, w, body, range)}</svg></div>`
  })
  return {
    height: height + 60,
    html: `<!doctype html><meta charset="utf-8"><style>
body{margin:0;background:#111217;color:#ccccdc;font:12px Inter,"DejaVu Sans",Arial,sans-serif}
h1{font-size:15px;font-weight:500;margin:0;padding:10px 12px 6px}
.note{float:right;color:#8e8e8e;font-size:11px;padding:12px}
.grid{position:relative;height:${height}px}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:2px;overflow:hidden}
.title{font-weight:500;padding:6px 8px;height:18px}
svg text{fill:#ccccdc;font-size:11px} svg text.none{fill:#8e8e8e;font-size:14px}
</style><div class="note">${escapeHtml(note)}</div><h1>${escapeHtml(title)}</h1><div class="grid">${boxes.join("")}</div>`,
  }
}
