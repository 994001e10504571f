import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type * as Prom from "prom-client"
import {
  type CustomMetric,
  SeriesCounter,
  SeriesGauge,
  SeriesHistogram,
} from "./internal/series.js"

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
  /**
   * Removes every series, so labels that disappeared (a dropped table) stop being reported;
   * an unlabelled gauge is then absent until set again.
   */
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

/** The Prometheus text exposition format, version 0.0.4. */
export const expositionContentType = "text/plain; version=0.0.4; charset=utf-8"

// prom-client and the OpenTelemetry API it pulls in are ~80 modules: a command that
// exposes no metrics never loads them (in the bundled CLI, they are a chunk of their own).
const loadPromClient = () => import("prom-client")

export const makeMetrics = (options?: { readonly processMetrics?: boolean }): MetricsShape => {
  const declared = new Map<string, CustomMetric>()
  let loading: Promise<Prom.Registry> | undefined
  let registry: Prom.Registry | undefined
  const promRegistry = () => {
    loading ??= loadPromClient().then((prom) => {
      // Metrics declared while prom-client loaded are registered here, later ones by `declare`.
      registry = new prom.Registry()
      for (const metric of declared.values())
        registry.registerMetric(metric as unknown as Prom.Metric)
      // Node process metrics (CPU, memory, event-loop lag, GC, handles) under their usual names.
      if (options?.processMetrics !== false) prom.collectDefaultMetrics({ register: registry })
      return registry
    })
    return loading
  }
  // Event-loop lag and GC are observed from the start, not from the first exposition. A
  // failure to load surfaces at the first exposition, which awaits the same promise.
  if (options?.processMetrics !== false) promRegistry().catch(() => {})

  const declare = <M extends CustomMetric>(name: string, make: () => M): M => {
    const existing = declared.get(name)
    if (existing !== undefined) return existing as M
    const metric = make()
    declared.set(name, metric)
    registry?.registerMetric(metric as unknown as Prom.Metric)
    return metric
  }

  return {
    counter: <L extends string = never>(spec: MetricSpec<L>): CounterMetric<L> => {
      const metric = declare(
        spec.name,
        () => new SeriesCounter(spec.name, spec.help, spec.labelNames ?? []),
      )
      return { inc: (labels, value = 1) => metric.inc(labels, value) }
    },
    gauge: <L extends string = never>(spec: MetricSpec<L>): GaugeMetric<L> => {
      const metric = declare(
        spec.name,
        () => new SeriesGauge(spec.name, spec.help, spec.labelNames ?? []),
      )
      return { set: (labels, value) => metric.set(labels, value), reset: () => metric.reset() }
    },
    histogram: <L extends string = never>(spec: HistogramSpec<L>): HistogramMetric<L> => {
      const metric = declare(
        spec.name,
        () =>
          new SeriesHistogram(
            spec.name,
            spec.help,
            spec.labelNames ?? [],
            spec.buckets ?? latencyBuckets,
          ),
      )
      return { observe: (labels, value) => metric.observe(labels, value) }
    },
    exposition: () => promRegistry().then((loaded) => loaded.metrics()),
    contentType: expositionContentType,
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
