import { type DatabaseTarget, Db, parseDatabaseUrl, type QueryObserver } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { latencyBuckets, Metrics, type MetricsShape } from "./Metrics.js"

/** The observer that turns db-core's query hook into the toolkit's query metrics. */
export const queryMetricsObserver = (metrics: MetricsShape): QueryObserver => {
  const latency = metrics.histogram({
    name: "coderops_db_query_latencies_seconds",
    help: "Latency of each named statement coderops runs, in seconds.",
    labelNames: ["query"],
    buckets: latencyBuckets,
  })
  const total = metrics.counter({
    name: "coderops_db_queries_total",
    help: "Named statements coderops ran, by outcome (ok, error).",
    labelNames: ["query", "outcome"],
  })
  const transactions = metrics.histogram({
    name: "coderops_db_tx_duration_seconds",
    help: "Duration of each named transaction from BEGIN to COMMIT or ROLLBACK, in seconds.",
    labelNames: ["tx", "outcome"],
    buckets: latencyBuckets,
  })
  return {
    onQuery: (event) => {
      latency.observe({ query: event.name }, event.durationSeconds)
      total.inc({ query: event.name, outcome: event.outcome })
    },
    onTransaction: (event) => {
      transactions.observe({ tx: event.name, outcome: event.outcome }, event.durationSeconds)
    },
  }
}

const instrument = Layer.effectDiscard(
  Effect.gen(function* () {
    const db = yield* Db
    const metrics = yield* Metrics
    const remove = db.addObserver(queryMetricsObserver(metrics))
    yield* Effect.addFinalizer(() => Effect.sync(remove))
  }),
)

export const QueryMetrics = {
  /** Instruments every statement of `Db` for as long as the layer lives. */
  layer: instrument,
  /**
   * `Db` for settings or a target (the embedded server is started when the layer is
   * built), every statement instrumented into the `Metrics` in context. Fresh, as
   * `Db.layerFrom`: provided inside a run that built it already (a scratch or demo
   * database inside a command's), a memoized instrument would observe only the outer `Db`.
   */
  layerFor: (target: DatabaseTarget) =>
    Layer.fresh(instrument).pipe(Layer.provideMerge(Db.layerFrom(target))),
}

/**
 * `Db` and a fresh `Metrics` registry for a database URL, every statement instrumented:
 * what a script or another tool needs to run a coderops library against one database.
 */
export const instrumentedDatabase = (
  url: string,
  options?: { readonly processMetrics?: boolean },
) =>
  Layer.unwrap(
    Effect.map(parseDatabaseUrl(url, "explicit"), (settings) =>
      QueryMetrics.layerFor(settings).pipe(
        Layer.provideMerge(options?.processMetrics ? Metrics.layer : Metrics.layerWithoutProcess),
      ),
    ),
  )
