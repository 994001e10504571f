import { Context, Effect, Layer } from "effect"
import * as prom from "prom-client"
import { SeriesCounter, SeriesHistogram } from "./internal/series.js"

export type Labels<L extends string> = { readonly [K in L]: string }

export interface MetricSpec<L extends string> {
  /** Prometheus name, `coderops_<subsystem>_<what>_<unit>`. */
  readonly name: string
  readonly help: string
  /** Bounded label names only: statement names, outcomes, kinds; never ids, SQL or URLs. */
  readonly labelNames?: ReadonlyArray<L> | undefined
}

export interface HistogramSpec<L extends string> extends MetricSpec<L> {
  readonly buckets?: ReadonlyArray<number> | undefined
}

export interface CounterMetric<L extends string> {
  readonly inc: (labels: Labels<L>, value?: number) => void
}

export interface GaugeMetric<L extends string> {
  readonly set: (labels: Labels<L>, value: number) => void
  /** Removes every series, so labels that disappeared (a dropped table) stop being reported. */
  readonly reset: () => void
}

export interface HistogramMetric<L extends string> {
  readonly observe: (labels: Labels<L>, value: number) => void
}

/** Latency buckets from 0.5 ms to 10 s, for statements and transactions. */
export const latencyBuckets: ReadonlyArray<number> = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/** Buckets from 10 ms to 30 min, for passes and migrations. */
export const durationBuckets: ReadonlyArray<number> = [
  0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800,
]

export interface MetricsShape {
  /** Declares (or returns the already declared) counter. */
  readonly counter: <L extends string = never>(spec: MetricSpec<L>) => CounterMetric<L>
  readonly gauge: <L extends string = never>(spec: MetricSpec<L>) => GaugeMetric<L>
  readonly histogram: <L extends string = never>(spec: HistogramSpec<L>) => HistogramMetric<L>
  /** The Prometheus text exposition (format 0.0.4) of every metric. */
  readonly exposition: () => Promise<string>
  readonly contentType: string
}

export const makeMetrics = (options?: { readonly processMetrics?: boolean }): MetricsShape => {
  const registry = new prom.Registry()
  // Node process metrics (CPU, memory, event-loop lag, GC, handles) under their usual names.
  if (options?.processMetrics !== false) prom.collectDefaultMetrics({ register: registry })
  const existing = <M>(name: string) => registry.getSingleMetric(name) as M | undefined

  return {
    counter: <L extends string = never>(spec: MetricSpec<L>): CounterMetric<L> => {
      let metric = existing<SeriesCounter>(spec.name)
      if (metric === undefined) {
        metric = new SeriesCounter(spec.name, spec.help, spec.labelNames ?? [])
        registry.registerMetric(metric as unknown as prom.Metric)
      }
      const counter = metric
      return { inc: (labels, value = 1) => counter.inc(labels, value) }
    },
    gauge: <L extends string = never>(spec: MetricSpec<L>): GaugeMetric<L> => {
      const labelNames = spec.labelNames ?? []
      const metric =
        existing<prom.Gauge<L>>(spec.name) ??
        new prom.Gauge<L>({ name: spec.name, help: spec.help, labelNames, registers: [registry] })
      return {
        set: (labels, value) =>
          labelNames.length === 0
            ? metric.set(value)
            : metric.set(labels as prom.LabelValues<L>, value),
        reset: () => metric.reset(),
      }
    },
    histogram: <L extends string = never>(spec: HistogramSpec<L>): HistogramMetric<L> => {
      let metric = existing<SeriesHistogram>(spec.name)
      if (metric === undefined) {
        metric = new SeriesHistogram(
          spec.name,
          spec.help,
          spec.labelNames ?? [],
          spec.buckets ?? latencyBuckets,
        )
        registry.registerMetric(metric as unknown as prom.Metric)
      }
      const histogram = metric
      return { observe: (labels, value) => histogram.observe(labels, value) }
    },
    exposition: () => registry.metrics(),
    contentType: registry.contentType,
  }
}

/**
 * The registry of one process. Other packages declare their metrics through it (reconcile,
 * purge, migrate) without touching prom-client.
 */
export class Metrics extends Context.Service<Metrics, MetricsShape>()("@coderops/metrics/Metrics") {
  static readonly layer = Layer.sync(Metrics)(() => makeMetrics())
  /** Without Node process metrics: for tests and benchmarks that compare exact output. */
  static readonly layerWithoutProcess = Layer.sync(Metrics)(() =>
    makeMetrics({ processMetrics: false }),
  )
}

export const exposition = Effect.fn("Metrics.exposition")(function* () {
  const metrics = yield* Metrics
  return yield* Effect.promise(() => metrics.exposition())
})
