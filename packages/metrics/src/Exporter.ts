import { Db, describeDbCoreError, isDbCoreError } from "@coderops/db-core"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { type GaugeMetric, type MetricSpec, Metrics, type MetricsShape } from "./Metrics.js"
import type { Readiness } from "./MetricsServer.js"

/** One group of gauges read from the database on a scrape. */
export interface Collector {
  readonly name: string
  readonly collect: Effect.Effect<void, unknown, Db | Metrics>
}

const describeFailure = (error: unknown): string => {
  if (isDbCoreError(error)) return describeDbCoreError(error)
  return error instanceof Error ? error.message : String(error)
}

export interface ExporterOptions {
  /** Scrapes within this interval of the last refresh serve the cached values. */
  readonly minRefresh: Duration.Input
  /**
   * The deadline of a refresh, from its start: waiting for a connection, connecting and
   * every collector's statements. A collector still running then is abandoned (its
   * statement cancelled on the server) and its gauges are dropped.
   */
  readonly timeout: Duration.Input
}

export const defaultExporterOptions: ExporterOptions = {
  minRefresh: "15 seconds",
  timeout: "10 seconds",
}

/** One collector's part in one refresh. */
interface Run {
  readonly collector: Collector
  /** `performance.now()` when it got a connection slot; undefined while it waits for one. */
  started: number | undefined
  /** Reported (done, failed or abandoned): from then on its writes are ignored. */
  settled: boolean
  /** Why it failed, once it did. */
  failure?: string | undefined
  /** It got a session on the server and ran a statement there: the database is reachable. */
  reached?: boolean | undefined
}

/** The exporter's own metrics: how each collector's refresh went. */
const exporterMetrics = (metrics: MetricsShape) => {
  const errors = metrics.counter({
    name: "coderops_exporter_errors_total",
    help: "Collector refreshes that failed or missed the scrape deadline; the collector's gauges were dropped.",
    labelNames: ["collector"],
  })
  const duration = metrics.gauge({
    name: "coderops_exporter_collector_duration_seconds",
    help: "How long the last refresh of each collector took, in seconds (until the deadline when it missed it).",
    labelNames: ["collector"],
  })
  const up = metrics.gauge({
    name: "coderops_exporter_collector_up",
    help: "1 when the collector's last refresh succeeded; 0 when it failed or missed the scrape deadline (its gauges are then absent).",
    labelNames: ["collector"],
  })
  const lastRefresh = metrics.gauge({
    name: "coderops_exporter_last_refresh_timestamp_seconds",
    help: "Unix time of the last refresh of the database gauges.",
  })
  const databaseUp = metrics.gauge({
    name: "coderops_exporter_database_up",
    help: "1 when the last refresh reached the database (a collector connected and ran a statement); 0 when none could.",
  })
  return { errors, duration, up, lastRefresh, databaseUp }
}

/**
 * Refreshes the collectors at most once per `minRefresh`, however many scrapers there are;
 * concurrent scrapes share one refresh. The collectors run in parallel, as many at once as
 * the pool has connections, under one deadline (`timeout`): a refresh ends by then, and a
 * collector that failed or missed it reports no gauges (they are dropped, not left at old
 * values), `coderops_exporter_collector_up{collector} 0`, one more
 * `coderops_exporter_errors_total{collector}`, and a warning; the others still report.
 */
export const makeExporter = Effect.fn("Exporter.make")(function* (
  collectors: ReadonlyArray<Collector>,
  options: ExporterOptions = defaultExporterOptions,
) {
  const metrics = yield* Metrics
  const db = yield* Db
  const context = yield* Effect.context<Db | Metrics>()
  const { errors, duration, up, lastRefresh, databaseUp } = exporterMetrics(metrics)
  for (const collector of collectors) errors.inc({ collector: collector.name }, 0)
  const minRefreshMs = Duration.toMillis(options.minRefresh)
  const timeoutMs = Duration.toMillis(options.timeout)
  const timeoutText = Duration.format(Duration.fromInputUnsafe(options.timeout))
  // A collector waits for a table lock (a migration rewriting the table) at most a quarter
  // of the deadline, so that locked tables do not hold every connection until the deadline.
  const lockWaitMs = Math.max(1, Math.ceil(timeoutMs / 4))

  /** The gauges each collector has written, dropped when a refresh of it fails. */
  const owned = new Map(
    collectors.map((collector) => [collector.name, new Map<string, GaugeMetric<string>>()]),
  )

  /** The registry as one run sees it: what it writes once settled (abandoned) is ignored. */
  const metricsFor = (run: Run): MetricsShape => ({
    ...metrics,
    gauge: <L extends string = never>(spec: MetricSpec<L>) => {
      const gauge = metrics.gauge(spec)
      owned.get(run.collector.name)?.set(spec.name, gauge as GaugeMetric<string>)
      return {
        set: (labels, value) => {
          if (!run.settled) gauge.set(labels, value)
        },
        reset: () => {
          if (!run.settled) gauge.reset()
        },
      } satisfies GaugeMetric<L>
    },
  })

  const settle = (
    run: Run,
    failure?: { readonly reason: string; readonly cause?: Cause.Cause<unknown> },
  ) =>
    Effect.gen(function* () {
      run.settled = true
      run.failure = failure?.reason
      const collector = run.collector.name
      const elapsed = run.started === undefined ? 0 : performance.now() - run.started
      duration.set({ collector }, elapsed / 1000)
      up.set({ collector }, failure === undefined ? 1 : 0)
      if (failure === undefined) return
      errors.inc({ collector })
      for (const gauge of owned.get(collector)?.values() ?? []) gauge.reset()
      yield* Effect.logWarning(`collector ${collector} skipped: ${failure.reason}`)
      if (failure.cause !== undefined) yield* Effect.logDebug(failure.cause)
    })

  let readiness: Readiness = { ready: false, reason: "not refreshed yet" }

  /** Runs one collector on one connection, its statements limited server-side too. */
  const runOne = (run: Run, deadline: number) =>
    Effect.suspend(() => {
      run.started = performance.now()
      const statementMs = Math.max(1, Math.ceil(deadline - run.started))
      return db.withSession(
        Effect.gen(function* () {
          // Integers only: SET takes no bind parameters.
          yield* db.script(
            "SetCollectorLimits",
            `SET statement_timeout = ${statementMs}; SET lock_timeout = ${Math.min(statementMs, lockWaitMs)}`,
          )
          run.reached = true
          const exit = yield* Effect.exit(
            Effect.provideService(run.collector.collect, Metrics, metricsFor(run)),
          )
          // After a failure the session ends and its connection is closed: nothing to reset.
          if (Exit.isSuccess(exit))
            yield* db.script("ResetCollectorLimits", "RESET statement_timeout; RESET lock_timeout")
          return yield* exit
        }),
      )
    }).pipe(
      Effect.exit,
      Effect.flatMap((exit) =>
        run.settled
          ? Effect.void
          : settle(
              run,
              Exit.isSuccess(exit)
                ? undefined
                : { reason: describeFailure(Cause.squash(exit.cause)), cause: exit.cause },
            ),
      ),
    )

  const refreshAll = Effect.gen(function* () {
    const deadline = performance.now() + timeoutMs
    const runs: Array<Run> = collectors.map((collector) => ({
      collector,
      started: undefined,
      settled: false,
    }))
    // Detached: at the deadline the refresh ends at once, while the collectors it abandons
    // have their statements cancelled and their connections closed in the background.
    const work = yield* Effect.forkDetach(
      Effect.forEach(runs, (run) => runOne(run, deadline), {
        concurrency: db.settings.poolSize,
        discard: true,
      }),
    )
    const finished = yield* Effect.timeoutOption(
      Fiber.await(work),
      Math.max(0, deadline - performance.now()),
    )
    if (Option.isNone(finished)) {
      for (const run of runs) {
        if (run.settled) continue
        yield* settle(run, {
          reason:
            run.started === undefined
              ? `not started within the scrape deadline (${timeoutText}): every connection was busy`
              : `missed the scrape deadline (${timeoutText})`,
        })
      }
      yield* Effect.forkDetach(Fiber.interrupt(work))
    }
    const now = new Date()
    lastRefresh.set({}, now.getTime() / 1000)
    // With no collector there is nothing the exporter needs the database for.
    const up = runs.length === 0 || runs.some((run) => run.reached)
    databaseUp.set({}, up ? 1 : 0)
    readiness = up
      ? { ready: true, reason: `the database was reached at ${now.toISOString()}` }
      : {
          ready: false,
          reason: `the database could not be reached at ${now.toISOString()}: ${runs.find((run) => run.failure !== undefined)?.failure ?? "no collector got a connection"}`,
        }
  })

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
  return {
    refresh,
    /**
     * Refreshes (as a scrape does, at most once per `minRefresh`), then says whether that
     * refresh reached the database: why not (the first collector's failure), or when.
     */
    readiness: Effect.map(refresh, () => readiness),
  }
})
