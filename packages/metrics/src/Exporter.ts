import { type Db, type DbCoreError, explain } from "@coderops/db-core"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { Metrics } from "./Metrics.js"

/** One group of gauges read from the database on a scrape. */
export interface Collector {
  readonly name: string
  readonly collect: Effect.Effect<void, unknown, Db | Metrics>
}

const describeFailure = (error: unknown): string => {
  const tag = (error as { _tag?: unknown } | undefined)?._tag
  if (typeof tag === "string" && "sqlState" in (error as object))
    return explain(error as DbCoreError).problem
  return error instanceof Error ? error.message : String(error)
}

export interface ExporterOptions {
  /** Scrapes within this interval of the last refresh serve the cached values. */
  readonly minRefresh: Duration.Input
  /** Each collector is abandoned after this; its gauges keep their previous values. */
  readonly timeout: Duration.Input
}

export const defaultExporterOptions: ExporterOptions = {
  minRefresh: "15 seconds",
  timeout: "10 seconds",
}

/**
 * Refreshes the collectors at most once per `minRefresh`, however many scrapers there are;
 * concurrent scrapes share one refresh. A collector that fails or times out is skipped with
 * a warning and `coderops_exporter_errors_total{collector}`; the others still report.
 */
export const makeExporter = Effect.fn("Exporter.make")(function* (
  collectors: ReadonlyArray<Collector>,
  options: ExporterOptions = defaultExporterOptions,
) {
  const metrics = yield* Metrics
  const context = yield* Effect.context<Db | Metrics>()
  const errors = metrics.counter({
    name: "coderops_exporter_errors_total",
    help: "Collector refreshes that failed or timed out; the collector's gauges were not updated.",
    labelNames: ["collector"],
  })
  const duration = metrics.gauge({
    name: "coderops_exporter_collector_duration_seconds",
    help: "How long the last refresh of each collector took, in seconds.",
    labelNames: ["collector"],
  })
  const lastRefresh = metrics.gauge({
    name: "coderops_exporter_last_refresh_timestamp_seconds",
    help: "Unix time of the last refresh of the database gauges.",
  })
  for (const collector of collectors) errors.inc({ collector: collector.name }, 0)
  const minRefreshMs = Duration.toMillis(options.minRefresh)

  const runOne = (collector: Collector) =>
    collector.collect.pipe(
      Effect.timed,
      Effect.tap(([elapsed]) =>
        Effect.sync(() => duration.set({ collector: collector.name }, Duration.toSeconds(elapsed))),
      ),
      Effect.timeoutOrElse({
        duration: options.timeout,
        orElse: () =>
          Effect.fail(
            new Error(
              `timed out after ${Duration.format(Duration.fromInputUnsafe(options.timeout))}`,
            ),
          ),
      }),
      Effect.catchCause((cause) =>
        Effect.all([
          Effect.sync(() => errors.inc({ collector: collector.name })),
          Effect.logWarning(
            `collector ${collector.name} skipped: ${describeFailure(Cause.squash(cause))}`,
          ),
          Effect.logDebug(cause),
        ]),
      ),
    )

  const refreshAll = Effect.forEach(collectors, runOne, { discard: true }).pipe(
    Effect.andThen(Effect.sync(() => lastRefresh.set({}, Date.now() / 1000))),
  )

  let lastStarted = Number.NEGATIVE_INFINITY
  let inflight: Promise<void> | undefined
  const refresh = Effect.promise(() => {
    if (inflight !== undefined) return inflight
    if (Date.now() - lastStarted < minRefreshMs) return Promise.resolve()
    lastStarted = Date.now()
    inflight = Effect.runPromiseWith(context)(refreshAll).finally(() => {
      inflight = undefined
    })
    return inflight
  })
  return { refresh }
})
