import { readFile } from "node:fs/promises"
import { BaseCommand, type ErrorTable, ExitCode, roundSeconds } from "@coderops/cli-kit"
import { formatGoDuration, parseGoDuration } from "@coderops/db-core"
import { serveExporter } from "@coderops/metrics"
import {
  expectedDurationsOf,
  InvalidPlan,
  migrationActivityCollector,
  type WatchSnapshot,
  watchMigrations,
} from "@coderops/migration-watch"
import { loadMigrations, migrationStateCollector } from "@coderops/migrations"
import { Flags } from "@oclif/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { watchErrors } from "../../errors.js"
import { directoryFlags, MigrateCommand, stateTableFlags } from "../../MigrateCommand.js"
import { describeAction, renderWatchSnapshot, snapshotKey } from "../../watchView.js"

export default class MigrateWatch extends MigrateCommand<typeof MigrateWatch> {
  static override summary =
    "Watch a running migration (coderd's or coderops'): who migrates, which file and statement, what blocks it, whom it blocks."

  static override description =
    `Reads, every --interval, who holds Coder's migration advisory lock (coderd or coderops: pid, application, client, since when), the sessions waiting for that lock (other replicas), what the migrating session runs and waits for, the sessions holding the lock it waits for (their state, how long idle in transaction, their query), and the sessions queued behind its locks (coderd's queries users feel), counted per table. With --dir (default: the bundled schema), which pending migration and which statement of it runs, matched against the files: older coderd runs every pending migration in one transaction, so schema_migrations does not change until the end.

Each reading is one catalog query (pg_locks, pg_stat_activity; pg_blocking_pids only for sessions that wait on a lock) and one read of schema_migrations, on one connection; watching takes no lock a migration could wait for. Other users' queries are visible with pg_read_all_stats or as superuser.

Acts only when asked: --cancel-blockers-after 30s --yes cancels the query of every session that has blocked the migration for longer than 30 s (pg_cancel_backend; --terminate ends the session with pg_terminate_backend, the only way to end an idle transaction), never the migrating session, and logs each action with the session's details.

--once reads once and exits: 0 when no migration runs and the database is clean, 12 when schema_migrations is dirty, 13 while a migration runs.`

  static override examples = [
    {
      description: "Watch coderd's migrations during an upgrade.",
      command:
        "CODER_PG_CONNECTION_URL=postgres://coder@db/coder <%= config.bin %> <%= command.id %> --dir coderd/database/migrations",
    },
    {
      description: "One reading as JSON, for a script or a Kubernetes Job.",
      command: "<%= config.bin %> <%= command.id %> --once --json",
    },
    {
      description: "Cancel what blocks the migration for more than 30 s, with gauges on :9465.",
      command:
        "<%= config.bin %> <%= command.id %> --cancel-blockers-after 30s --yes --metrics-addr 127.0.0.1:9465",
    },
  ]

  // Reads only: no migration timeouts to set.
  static override baseFlags = { ...BaseCommand.baseFlags, ...directoryFlags, ...stateTableFlags }

  static override flags = {
    interval: Flags.string({
      summary: "Time between readings (Go duration, 100ms to 1h).",
      default: "1s",
    }),
    once: Flags.boolean({ summary: "Read once and exit (exit code: see the description)." }),
    "metrics-addr": Flags.string({
      summary: "Also serve the migration gauges on HOST:PORT (/metrics).",
    }),
    "cancel-blockers-after": Flags.string({
      summary:
        "Cancel sessions that have blocked the migration this long (Go duration, 1s to 24h); needs --yes.",
      dependsOn: ["yes"],
    }),
    terminate: Flags.boolean({
      summary: "With --cancel-blockers-after: end blocking sessions (pg_terminate_backend).",
      dependsOn: ["cancel-blockers-after"],
    }),
    plan: Flags.string({
      summary:
        "A rehearsal's JSON (migrate rehearse --json, or upgrade plan --rehearse --format json): show the expected time of the running migration and of the rest.",
    }),
    yes: Flags.boolean({
      summary: "Confirm --cancel-blockers-after: sessions of other applications will be cancelled.",
    }),
  }

  protected override errorTables(): ReadonlyArray<ErrorTable> {
    return [...super.errorTables(), watchErrors(this.config.bin)]
  }

  protected override runsUntilStopped(): boolean {
    return !this.flags.once
  }

  protected override exposesMetrics(): boolean {
    return super.exposesMetrics() || this.flags["metrics-addr"] !== undefined
  }

  async run(): Promise<WatchSnapshot | undefined> {
    const flags = this.flags
    const json = this.jsonEnabled()
    const terminal = process.stdout.isTTY === true && !json
    const table = flags.table
    const planFile = flags.plan
    const dir = this.directory()
    const metricsAddress = (value: string) => this.metricsAddress(value)
    const log = (line: string) => this.logToStderr(`${new Date().toISOString()} ${line}`)
    // Under --json a long-running command writes one JSON object a line on stdout.
    const jsonLine = (event: string, fields: Record<string, unknown>) =>
      this.emitEvent(event, fields)
    const startedAt = performance.now()
    let lastKey: string | undefined
    const show = (snapshot: WatchSnapshot) =>
      Effect.sync(() => {
        if (json) {
          if (!flags.once) jsonLine("reading", { ...snapshot })
          return
        }
        if (terminal) {
          // Redraw in place: clear the screen, cursor home.
          process.stdout.write(`\x1b[H\x1b[2J${renderWatchSnapshot(snapshot)}\n`)
          return
        }
        // Off a terminal (a log): a reading when something changed, and every action.
        const key = snapshotKey(snapshot)
        if (key !== lastKey || flags.once) this.log(`${renderWatchSnapshot(snapshot)}\n`)
        else for (const action of snapshot.actions) this.log(describeAction(action))
        lastKey = key
      })
    const program = Effect.gen(function* () {
      const interval = yield* parseGoDuration(flags.interval, "--interval", {
        allowZero: false,
        min: "100 millis",
        max: "1 hour",
      })
      const cancelAfter =
        flags["cancel-blockers-after"] === undefined
          ? undefined
          : yield* parseGoDuration(flags["cancel-blockers-after"], "--cancel-blockers-after", {
              allowZero: false,
              min: "1 second",
              max: "24 hours",
            })
      const migrations = yield* loadMigrations(dir)
      const expected = planFile === undefined ? undefined : yield* readPlan(planFile)
      let served: { readonly listen: string; readonly url: string } | undefined
      if (flags["metrics-addr"] !== undefined) {
        served = yield* serveExporter(yield* metricsAddress(flags["metrics-addr"]), [
          migrationActivityCollector,
          migrationStateCollector,
        ])
        log(`serving migration gauges on ${served.url} (also /healthz, /readyz)`)
      }
      if (!flags.once)
        jsonLine("started", {
          listen: served?.listen,
          url: served?.url,
          intervalSeconds: roundSeconds(Duration.toSeconds(interval)),
        })
      if (cancelAfter !== undefined) {
        log(
          `${flags.terminate ? "ending" : "cancelling the queries of"} sessions that block the migration for more than ${formatGoDuration(cancelAfter)}`,
        )
      }
      return yield* watchMigrations({
        table,
        migrations,
        expected,
        interval,
        once: flags.once,
        cancel:
          cancelAfter === undefined
            ? undefined
            : { after: cancelAfter, terminate: flags.terminate },
        onSnapshot: show,
      })
    })
    const last = await this.runDb(Effect.scoped(program))
    if (!flags.once) {
      this.stopped(startedAt)
      return undefined
    }
    if (last.state?.dirty === true) process.exitCode = ExitCode.databaseDirty
    else if (last.migrating !== undefined) process.exitCode = ExitCode.migrationRunning
    return last
  }
}

/** The expected durations in a rehearsal's (or upgrade plan's) JSON file. */
const readPlan = (file: string) =>
  Effect.flatMap(
    Effect.tryPromise({
      try: async () => JSON.parse(await readFile(file, "utf8")) as unknown,
      // A parse error quotes the file's text: never print a stray file's contents.
      catch: (cause) =>
        new InvalidPlan({
          file,
          message:
            cause instanceof SyntaxError
              ? `${file} is not JSON`
              : `cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`,
        }),
    }),
    (document) => {
      const expected = expectedDurationsOf(document, file)
      return expected instanceof InvalidPlan ? Effect.fail(expected) : Effect.succeed(expected)
    },
  )
