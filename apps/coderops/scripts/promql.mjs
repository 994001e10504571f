// A small PromQL evaluator over scraped samples, for drawing the dashboard's panels without a
// Prometheus server (dashboard-screenshots.mjs). It reads expressions with Prometheus' own
// grammar (@prometheus-io/lezer-promql) and implements what the dashboard uses: selectors with
// =, !=, =~, !~ matchers; range selectors; rate, increase (extrapolated as Prometheus does);
// sum, max, min, topk with by/without; histogram_quantile (linear in the bucket, as Prometheus).
// Anything else throws, naming it, so a new panel cannot be drawn wrong in silence.
import { parser } from "@prometheus-io/lezer-promql"

/** A series: labels (with __name__) and samples [seconds, value], in time order. */
export const seriesKey = (labels) =>
  Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name]}`)
    .join(",")

const durationSeconds = (text) => {
  const units = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 }
  let total = 0
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g))
    total += Number(n) * units[unit]
  return total
}

const children = (node) => {
  const list = []
  for (let child = node.firstChild; child; child = child.nextSibling) list.push(child)
  return list
}

const unquote = (text) => JSON.parse(text.startsWith("'") ? `"${text.slice(1, -1)}"` : text)

/** Prometheus' extrapolated rate/increase over the samples in (t - range, t]. */
const extrapolated = (points, t, range, isRate) => {
  if (points.length < 2) return undefined
  let delta = 0
  for (let i = 1; i < points.length; i++) {
    const step = points[i][1] - points[i - 1][1]
    delta += step < 0 ? points[i][1] : step // a counter reset
  }
  const first = points[0][0]
  const last = points[points.length - 1][0]
  const sampled = last - first
  const average = sampled / (points.length - 1)
  let toStart = first - (t - range)
  const toEnd = t - last
  // A counter does not go below zero: extrapolate back no further than its zero point.
  if (delta > 0 && points[0][1] >= 0) toStart = Math.min(toStart, sampled * (points[0][1] / delta))
  const threshold = average * 1.1
  const span =
    sampled +
    (toStart < threshold ? toStart : average / 2) +
    (toEnd < threshold ? toEnd : average / 2)
  const increase = (delta * span) / sampled
  return isRate ? increase / range : increase
}

/** histogram_quantile over cumulative buckets [{le, value}], interpolated as Prometheus does. */
const quantile = (q, buckets) => {
  const sorted = [...buckets].sort((a, b) => a.le - b.le)
  const last = sorted.length - 1
  if (last < 1 || sorted[last].le !== Number.POSITIVE_INFINITY || sorted[last].value === 0)
    return Number.NaN
  let rank = q * sorted[last].value
  const b = sorted.findIndex((bucket) => bucket.value >= rank)
  if (b === last) return sorted[last - 1].le
  if (b === 0 && sorted[0].le <= 0) return sorted[0].le
  const start = b === 0 ? 0 : sorted[b - 1].le
  let count = sorted[b].value
  if (b > 0) {
    count -= sorted[b - 1].value
    rank -= sorted[b - 1].value
  }
  return start + (sorted[b].le - start) * (rank / count)
}

const grouped = (vector, labelsOf) => {
  const groups = new Map()
  for (const item of vector) {
    const labels = labelsOf(item.labels)
    const key = seriesKey(labels)
    const group = groups.get(key) ?? { labels, items: [] }
    group.items.push(item)
    groups.set(key, group)
  }
  return [...groups.values()]
}

/**
 * Evaluates `expr` at time `t` (seconds) over `series` (Array of {labels, points}); returns
 * an instant vector: Array of {labels, value}. `lookback` is how far back a plain selector
 * finds its last sample (Prometheus' 5 minutes; a scrape interval or two here).
 */
export const evaluate = (expr, series, t, lookback) => {
  const tree = parser.parse(expr)
  let error
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) error ??= `PromQL does not parse at ${node.from}: ${expr}`
    },
  })
  if (error) throw new Error(error)
  const text = (node) => expr.slice(node.from, node.to)

  const select = (node) => {
    const name = children(node).find((child) => child.name === "Identifier")
    const matchers = []
    if (name) matchers.push({ label: "__name__", op: "=", value: text(name) })
    const list = children(node).find((child) => child.name === "LabelMatchers")
    for (const matcher of list ? children(list) : []) {
      const [label, op, value] = children(matcher)
      matchers.push({ label: text(label), op: text(op), value: unquote(text(value)) })
    }
    const matches = (labels) =>
      matchers.every(({ label, op, value }) => {
        const actual = labels[label] ?? ""
        if (op === "=") return actual === value
        if (op === "!=") return actual !== value
        const regex = new RegExp(`^(?:${value})$`)
        return op === "=~" ? regex.test(actual) : !regex.test(actual)
      })
    return series.filter((one) => matches(one.labels))
  }

  const dropName = ({ __name__: _, ...labels }) => labels

  const visit = (node) => {
    switch (node.name) {
      case "PromQL":
      case "ParenExpr":
        return visit(children(node).find((child) => child.name !== "(" && child.name !== ")"))
      case "NumberDurationLiteral":
      case "NumberLiteral":
        return Number(text(node))
      case "VectorSelector":
        return select(node).flatMap((one) => {
          const last = one.points.findLast(([time]) => time <= t && time > t - lookback)
          return last ? [{ labels: one.labels, value: last[1] }] : []
        })
      case "FunctionCall":
        return call(node)
      case "AggregateExpr":
        return aggregate(node)
      default:
        throw new Error(`not implemented here: ${node.name} in ${expr}`)
    }
  }

  const call = (node) => {
    const name = text(children(node)[0])
    const args = children(children(node)[1]).filter(
      (child) => !["(", ")", ","].includes(child.name),
    )
    if (name === "rate" || name === "increase") {
      const matrix = args[0]
      const [selector, duration] = children(matrix)
      const range = durationSeconds(text(duration))
      return select(selector).flatMap((one) => {
        const points = one.points.filter(([time]) => time <= t && time > t - range)
        const value = extrapolated(points, t, range, name === "rate")
        return value === undefined ? [] : [{ labels: dropName(one.labels), value }]
      })
    }
    if (name === "histogram_quantile") {
      const q = visit(args[0])
      const groups = grouped(visit(args[1]), ({ le: _, ...rest }) => dropName(rest))
      return groups.map((group) => ({
        labels: group.labels,
        value: quantile(
          q,
          group.items.map((item) => ({
            le: item.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(item.labels.le),
            value: item.value,
          })),
        ),
      }))
    }
    throw new Error(`function not implemented here: ${name} in ${expr}`)
  }

  const aggregate = (node) => {
    const op = text(children(node)[0])
    const modifier = children(node).find((child) => child.name === "AggregateModifier")
    const body = children(node).find((child) => child.name === "FunctionCallBody")
    const args = children(body).filter((child) => !["(", ")", ","].includes(child.name))
    const vector = visit(args[args.length - 1])
    if (op === "topk") {
      const k = visit(args[0])
      return [...vector].sort((a, b) => b.value - a.value).slice(0, k)
    }
    let labelsOf = () => ({})
    if (modifier) {
      const [kind, grouping] = children(modifier)
      const names = children(grouping).map(text)
      labelsOf =
        text(kind) === "by"
          ? (labels) =>
              Object.fromEntries(names.filter((n) => n in labels).map((n) => [n, labels[n]]))
          : (labels) =>
              Object.fromEntries(
                Object.entries(dropName(labels)).filter(([n]) => !names.includes(n)),
              )
    }
    const combine = {
      sum: (values) => values.reduce((a, b) => a + b, 0),
      max: (values) => Math.max(...values),
      min: (values) => Math.min(...values),
    }[op]
    if (!combine) throw new Error(`aggregation not implemented here: ${op} in ${expr}`)
    return grouped(vector, labelsOf).map((group) => ({
      labels: group.labels,
      value: combine(group.items.map((item) => item.value)),
    }))
  }

  const result = visit(tree.topNode)
  if (typeof result === "number") return [{ labels: {}, value: result }]
  return result
}
