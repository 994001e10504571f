import { BaseCommand, integerFlag, roundSeconds, stopHint } from "@coderops/cli-kit"
import { type ConfigOverrides, formatGoDuration, parseGoDuration } from "@coderops/db-core"
import { exporterCollectors } from "@coderops/inspect"
import {
  defaultExporterOptions,
  defaultMetricsAddress,
  formatListenAddress,
  serveExporter,
} from "@coderops/metrics"
import { Flags } from "@oclif/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

export default class MetricsServe extends BaseCommand<typeof MetricsServe> {
  static override summary = "Serve Prometheus metrics of a Coder database on /metrics."

  static override description =
    `A long-running exporter. On a scrape it refreshes, at most once per --min-refresh, the database gauges: schema_migrations version and dirty flag; size and estimated rows of the largest tables and of api_keys, with the estimate of keys expired for more than 7 days; prebuilds membership health; connections by state and the age of the oldest transaction. The collectors run in parallel over the exporter's 2 connections, and a scrape answers within --scrape-timeout: a collector that cannot read (a missing table, a privilege, a lock held past a quarter of the timeout) or misses the deadline is skipped with a warning, its gauges are dropped (never left at old values), and coderops_exporter_collector_up{collector} is 0 and coderops_exporter_errors_total{collector} counts it; the exporter keeps serving. /healthz answers "ok" while the process runs; /readyz answers 200 when the last refresh reached the database and 503 with the reason when it did not (coderops_exporter_database_up says the same). SIGINT or SIGTERM stops it cleanly, exit 0. With --json it writes one JSON object per line: {"event":"started","listen":...} once it listens, {"event":"stopped",...} when it stops.

Give the database in $CODER_PG_CONNECTION_URL, not --database-url: every local user can read a command line (ps) for as long as the exporter runs, so a password on it draws a warning. So does a --metrics-addr on all interfaces (0.0.0.0, [::], :PORT): /metrics names tables and their sizes.

Every metric is documented in the README; a Grafana dashboard ships in @coderops/metrics (dashboards/coderops.json).`

  static override examples = [
    {
      description: "Serve on the default 127.0.0.1:9464.",
      command: "<%= config.bin %> <%= command.id %>",
    },
    {
      description: "Serve on all interfaces, refreshing at most every 30 s.",
      command:
        "CODER_PG_CONNECTION_URL=postgres://coder@db/coder <%= config.bin %> <%= command.id %> --metrics-addr :9464 --min-refresh 30s",
    },
  ]

  static override flags = {
    "metrics-addr": Flags.string({
      summary: "HOST:PORT to listen on (0.0.0.0, [::] or :PORT: all interfaces, with a warning).",
      default: formatListenAddress(defaultMetricsAddress),
    }),
    "min-refresh": Flags.string({
      summary:
        "Least time between two refreshes of the database gauges (Go duration, 0 to 1h; 0 refreshes on every scrape).",
      default: formatGoDuration(defaultExporterOptions.minRefresh),
    }),
    "scrape-timeout": Flags.string({
      summary:
        "Deadline of a scrape's refresh (Go duration, 100ms to 5m): connecting and every collector; also their statement_timeout.",
      default: formatGoDuration(defaultExporterOptions.timeout),
    }),
    tables: integerFlag({
      summary: "How many of the largest tables to report.",
      default: 10,
      min: 1,
      max: 1000,
    }),
  }

  protected override exposesMetrics(): boolean {
    return true
  }

  protected override runsUntilStopped(): boolean {
    return true
  }

  protected override connectionOverrides(): ConfigOverrides {
    // Never hold more than a couple of connections to the production database.
    return { applicationName: "coderops-exporter", poolSize: 2 }
  }

  async run(): Promise<void> {
    const flags = this.flags
    const startedAt = performance.now()
    const metricsAddress = (value: string) => this.metricsAddress(value)
    const onStarted = (listen: string, url: string, minRefresh: number, timeout: number) => {
      this.logToStderr(
        `${new Date().toISOString()} serving metrics on ${url} (also /healthz, /readyz; ${stopHint()})`,
      )
      this.emitEvent("started", {
        listen,
        url,
        minRefreshSeconds: roundSeconds(minRefresh),
        scrapeTimeoutSeconds: roundSeconds(timeout),
      })
    }
    const program = Effect.gen(function* () {
      const address = yield* metricsAddress(flags["metrics-addr"])
      const minRefresh = yield* parseGoDuration(flags["min-refresh"], "--min-refresh", {
        max: "1 hour",
      })
      // Below 100 ms every collector times out; Prometheus itself gives up long before 5m.
      const timeout = yield* parseGoDuration(flags["scrape-timeout"], "--scrape-timeout", {
        allowZero: false,
        serverTimeout: true,
        min: "100 millis",
        max: "5 minutes",
      })
      const served = yield* serveExporter(
        address,
        exporterCollectors({ tableLimit: flags.tables }),
        { minRefresh, timeout },
      )
      onStarted(
        served.listen,
        served.url,
        Duration.toSeconds(minRefresh),
        Duration.toSeconds(timeout),
      )
      return yield* Effect.never
    })
    await this.runDb(Effect.scoped(program))
    this.stopped(startedAt)
  }
}
