/**
 * Counters, gauges and histograms whose hot path is one Map lookup and a few array writes
 * (prom-client re-hashes the label object on every call, ~1 µs). They register with
 * prom-client's registry as custom metrics, so its formatter writes the exposition, and
 * they need no prom-client until then.
 */

type LabelValues = Readonly<Record<string, string>>

interface MetricValue {
  readonly metricName?: string
  readonly labels: LabelValues
  readonly value: number
}

export interface CustomMetric {
  readonly name: string
  readonly help: string
  readonly type: "counter" | "gauge" | "histogram"
  readonly get: () => Promise<{
    name: string
    help: string
    type: string
    values: Array<MetricValue>
    aggregator: string
  }>
  readonly reset: () => void
}

const seriesKey = (labelNames: ReadonlyArray<string>, labels: LabelValues) =>
  labelNames.length === 1
    ? labels[labelNames[0]!]!
    : labelNames.map((name) => labels[name]).join("\u0000")

/** One number per label set: the storage of counters and gauges. */
abstract class ScalarSeries implements CustomMetric {
  abstract readonly type: "counter" | "gauge"
  private readonly series = new Map<string, { labels: LabelValues; value: number }>()
  private wasReset = false

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: ReadonlyArray<string>,
  ) {}

  protected update(labels: LabelValues, value: number, add: boolean) {
    const key = seriesKey(this.labelNames, labels)
    const entry = this.series.get(key)
    if (entry === undefined) this.series.set(key, { labels: { ...labels }, value })
    else entry.value = add ? entry.value + value : value
  }

  async get() {
    const values = [...this.series.values()].map((entry) => ({
      labels: entry.labels,
      value: entry.value,
    }))
    // An unlabelled metric is reported (as 0) before its first update, as prom-client does;
    // not after a reset: a value dropped as stale must not read as a fresh 0.
    if (this.labelNames.length === 0 && values.length === 0 && !this.wasReset)
      values.push({ labels: {}, value: 0 })
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" }
  }

  reset() {
    this.series.clear()
    this.wasReset = true
  }
}

export class SeriesCounter extends ScalarSeries {
  readonly type = "counter" as const

  inc(labels: LabelValues, value: number) {
    this.update(labels, value, true)
  }
}

export class SeriesGauge extends ScalarSeries {
  readonly type = "gauge" as const

  set(labels: LabelValues, value: number) {
    this.update(labels, value, false)
  }
}

export class SeriesHistogram implements CustomMetric {
  readonly type = "histogram" as const
  private readonly series = new Map<
    string,
    { labels: LabelValues; counts: Float64Array; sum: number; count: number }
  >()

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: ReadonlyArray<string>,
    private readonly bounds: ReadonlyArray<number>,
  ) {}

  observe(labels: LabelValues, value: number) {
    const key = seriesKey(this.labelNames, labels)
    let entry = this.series.get(key)
    if (entry === undefined) {
      entry = {
        labels: { ...labels },
        counts: new Float64Array(this.bounds.length),
        sum: 0,
        count: 0,
      }
      this.series.set(key, entry)
    }
    // Per-bucket counts; made cumulative at exposition.
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    if (i < bounds.length) entry.counts[i]! += 1
    entry.sum += value
    entry.count += 1
  }

  async get() {
    const values: Array<MetricValue> = []
    for (const entry of this.series.values()) {
      let cumulative = 0
      this.bounds.forEach((le, i) => {
        cumulative += entry.counts[i]!
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le: String(le), ...entry.labels },
          value: cumulative,
        })
      })
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { le: "+Inf", ...entry.labels },
        value: entry.count,
      })
      values.push({ metricName: `${this.name}_sum`, labels: entry.labels, value: entry.sum })
      values.push({ metricName: `${this.name}_count`, labels: entry.labels, value: entry.count })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" }
  }

  reset() {
    this.series.clear()
  }
}
