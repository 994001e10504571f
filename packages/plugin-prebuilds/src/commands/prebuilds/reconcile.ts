import { BaseCommand, countOf, ExitCode, roundSeconds, stopHint } from "@coderops/cli-kit"
import { parseGoDuration } from "@coderops/db-core"
import { defaultMetricsAddress, formatListenAddress, serveExporter } from "@coderops/metrics"
import {
  defaultLeaderLockKey,
  prebuildsHealthCollector,
  presetStateCollector,
  type ReconcileReport,
  reconcileAll,
  runReconcileLoop,
} from "@coderops/prebuilds-reconcile"
import { Flags } from "@oclif/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

const summaryOf = (report: ReconcileReport) =>
  report.leader
    ? `${report.dryRun ? "would create" : "created"} ${countOf(report.membershipsCreated, "membership")}, ${countOf(report.groupsCreated, "group")}, ${countOf(report.groupMembershipsCreated, "group membership")} across ${countOf(report.organizationsChecked, "organization")} in ${report.seconds.toFixed(3)} s, ${countOf(report.queries, "query", "queries")}${report.errors.length > 0 ? `; ${countOf(report.errors.length, "error")}` : ""}`
    : "another reconciler holds the leader lock (pg_try_advisory_xact_lock); nothing done"

/** A dry run says what it would create, under its own names (README, "JSON output"). */
const reconcileJson = ({
  membershipsCreated,
  groupsCreated,
  groupMembershipsCreated,
  ...rest
}: ReconcileReport) =>
  rest.dryRun
    ? {
        ...rest,
        membershipsToCreate: membershipsCreated,
        groupsToCreate: groupsCreated,
        groupMembershipsToCreate: groupMembershipsCreated,
      }
    : { ...rest, membershipsCreated, groupsCreated, groupMembershipsCreated }

export default class PrebuildsReconcile extends BaseCommand<typeof PrebuildsReconcile> {
  static override summary =
    "Make the prebuilds user a member of every organization with prebuilds, and of its prebuilds group."

  static override description =
    `One pass: one status query; then, only where missing and in order, the organization membership, the coderprebuiltworkspaces group (display name "Prebuilt Workspaces", quota 0), and the group membership. A converged deployment costs exactly one query. Safe alongside coderd and other reconcilers: rows someone else wrote first count as done, and the pass takes Coder's leader lock (pg_try_advisory_xact_lock(7)); a pass that does not get it does nothing.

With --watch it runs every --interval until SIGINT/SIGTERM (between passes; exit 0), backs off while the database is unreachable, and can serve metrics on --metrics-addr (with /healthz and /readyz, as metrics serve). With --json it writes one JSON object per line: {"event":"started",...}, one {"event":"pass",...} or {"event":"passFailed",...} per pass, {"event":"stopped",...}. For such a long run give the database in $CODER_PG_CONNECTION_URL, not --database-url: every local user can read a command line (ps), so a password on it draws a warning, as does a --metrics-addr on all interfaces.`

  static override examples = [
    { description: "What would change.", command: "<%= config.bin %> <%= command.id %> --dry-run" },
    { description: "Reconcile now.", command: "<%= config.bin %> <%= command.id %>" },
    {
      description: "Keep reconciling every minute and serve metrics.",
      command:
        "<%= config.bin %> <%= command.id %> --watch --interval 1m --metrics-addr 127.0.0.1:9464",
    },
  ]

  static override flags = {
    "dry-run": Flags.boolean({
      summary: "Report what would be created; write nothing.",
      exclusive: ["watch"],
    }),
    watch: Flags.boolean({ summary: "Reconcile every --interval until stopped." }),
    interval: Flags.string({
      summary: "Time between passes with --watch (Go duration, 1s to 24h; default 1m).",
      dependsOn: ["watch"],
    }),
    "metrics-addr": Flags.string({
      summary: `Serve /metrics on HOST:PORT with --watch (e.g. ${formatListenAddress(defaultMetricsAddress)}).`,
      dependsOn: ["watch"],
    }),
    "leader-lock": Flags.boolean({
      summary: "Take Coder's leader lock for each pass (--no-leader-lock to skip it).",
      default: true,
      allowNo: true,
    }),
  }

  protected override runsUntilStopped(): boolean {
    return this.flags.watch
  }

  protected override exposesMetrics(): boolean {
    return super.exposesMetrics() || this.flags["metrics-addr"] !== undefined
  }

  async run(): Promise<ReturnType<typeof reconcileJson> | undefined> {
    const flags = this.flags
    const leaderLockKey = flags["leader-lock"] ? defaultLeaderLockKey : undefined
    if (!flags.watch) {
      const report = await this.runDb(reconcileAll({ dryRun: flags["dry-run"], leaderLockKey }))
      this.log(summaryOf(report))
      for (const error of report.errors) {
        this.logToStderr(
          `  ${error.organizationName}: ${error.step}: ${error.error}${error.sqlState ? ` (SQLSTATE ${error.sqlState})` : ""}`,
        )
      }
      if (report.errors.length > 0) process.exitCode = ExitCode.failure
      return reconcileJson(report)
    }
    const log = (line: string) => this.logToStderr(`${new Date().toISOString()} ${line}`)
    const metricsAddress = (value: string) => this.metricsAddress(value)
    const startedAt = performance.now()
    const event = (name: string, fields: Record<string, unknown>) => this.emitEvent(name, fields)
    const failureOf = (error: unknown) => this.reportFailure(error)
    let passes = 0
    let failedPasses = 0
    const program = Effect.gen(function* () {
      const interval = flags.interval ?? "1m"
      const parsedInterval = yield* parseGoDuration(interval, "--interval", {
        allowZero: false,
        min: "1 second",
        max: "24 hours",
      })
      let served: { readonly listen: string; readonly url: string } | undefined
      if (flags["metrics-addr"] !== undefined) {
        served = yield* serveExporter(yield* metricsAddress(flags["metrics-addr"]), [
          prebuildsHealthCollector,
          presetStateCollector,
        ])
        log(`serving metrics on ${served.url} (also /healthz, /readyz)`)
      }
      log(`reconciling every ${interval} (stops between passes; ${stopHint()})`)
      event("started", {
        listen: served?.listen,
        url: served?.url,
        intervalSeconds: roundSeconds(Duration.toSeconds(parsedInterval)),
        leaderLock: leaderLockKey !== undefined,
      })
      let lastFailed = false
      return yield* runReconcileLoop({
        interval: parsedInterval,
        leaderLockKey,
        onPass: (report) => {
          passes++
          if (lastFailed) log("the database is back")
          lastFailed = false
          if (report.leader) log(summaryOf(report))
          event("pass", {
            leader: report.leader,
            organizationsChecked: report.organizationsChecked,
            membershipsCreated: report.membershipsCreated,
            groupsCreated: report.groupsCreated,
            groupMembershipsCreated: report.groupMembershipsCreated,
            organizationsGone: report.organizationsGone,
            errors: report.errors,
            queries: report.queries,
            seconds: roundSeconds(report.seconds),
          })
        },
        onFailure: (error, retryIn) => {
          passes++
          failedPasses++
          lastFailed = true
          const retryInSeconds = roundSeconds(Duration.toSeconds(retryIn))
          log(`pass failed: ${error.message}; retrying in ${retryInSeconds.toFixed(1)} s`)
          const failure = failureOf(error)
          event("passFailed", {
            error: { tag: failure.tag, message: failure.message, hint: failure.hint },
            retryInSeconds,
          })
        },
      })
    })
    await this.runDb(Effect.scoped(program))
    this.stopped(startedAt, { passes, failedPasses })
    return undefined
  }
}
