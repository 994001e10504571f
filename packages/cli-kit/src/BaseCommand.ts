import { access, constants, stat } from "node:fs/promises"
import { dirname, resolve } from "node:path"
import {
  type ConfigOverrides,
  type DatabaseTarget,
  type Db,
  EmbeddedTarget,
  resolveDatabaseTarget,
} from "@coderops/db-core"
import {
  type InvalidListenAddress,
  type ListenAddress,
  Metrics,
  type MetricsShape,
  makeMetrics,
  parseListenAddress,
  QueryMetrics,
  writeTextfile,
} from "@coderops/metrics"
import { Command, Flags, type Interfaces, ux } from "@oclif/core"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import type { ErrorTable } from "./ErrorTable.js"
import { ExitCode } from "./ExitCode.js"
import { type FailureReport, redactSecrets, reportOf } from "./FailureReport.js"
import { FlagOutOfRange } from "./IntegerFlag.js"
import { redactingLogger } from "./internal/redactingLogger.js"
import { toJsonValue, usageProblem, writeFailure } from "./JsonOutput.js"
import { ProgressLine, progressIntervalMs } from "./Progress.js"
import { colorsWanted, roundSeconds } from "./render.js"
import { stopGraceMs, stoppingLine } from "./Stopping.js"

/** The flags of command class T: its own and those of every base between it and Command. */
export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  T["baseFlags"] & T["flags"]
>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T["args"]>

/** 0.0.0.0 and :: (in any spelling): the wildcard address, every interface. */
const isWildcardHost = (host: string): boolean => {
  if (host === "0.0.0.0") return true
  if (!host.includes(":")) return false
  try {
    return new URL(`http://[${host}]`).hostname === "[::]"
  } catch {
    return false
  }
}

/** A failure a command has already turned into its report; `catch` prints it. */
class CommandFailure extends Error {
  constructor(
    readonly report: FailureReport,
    readonly debugDetail: string,
  ) {
    super(report.message)
  }
}

/** Flags every command has (besides --json). */
export const globalFlags = {
  debug: Flags.boolean({
    summary: "Show debug logs and full error causes.",
    helpGroup: "GLOBAL",
  }),
}

/**
 * Flags of a command that works on a database: which one, and where to write the metrics
 * of its statements. BaseCommand has them; a command that touches no database declares
 * `static override baseFlags = globalFlags`, so that it neither offers nor accepts them.
 */
export const databaseFlags = {
  "database-url": Flags.string({
    summary: "PostgreSQL URL of the Coder database.",
    description:
      "Default: $CODER_PG_CONNECTION_URL, then $DATABASE_URL, then the embedded server coderops starts in its data directory ($CODEROPS_DATA_DIR). Prefer $CODER_PG_CONNECTION_URL for a password: other local users can read a command line (ps).",
    helpGroup: "GLOBAL",
  }),
  "metrics-file": Flags.string({
    summary: "Write this run's metrics to a file for node_exporter's textfile collector.",
    description:
      "Prometheus text format, written atomically (temporary file + rename) when the command ends, also when it fails. Name it *.prom inside node_exporter's --collector.textfile.directory.",
    helpGroup: "GLOBAL",
  }),
}

/**
 * The one base of every coderops command: it owns the shared flags, resolves the
 * database, runs library programs on the Effect runtime, and turns typed failures into
 * one line, a hint and a documented exit code (a stack trace only with --debug).
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  /** The flag groups this command offers: global, and those of a database command. */
  static override baseFlags: typeof globalFlags & Partial<typeof databaseFlags> = {
    ...globalFlags,
    ...databaseFlags,
  }

  protected flags!: BaseFlags<T>
  /** The signal (SIGINT, SIGTERM) that interrupted the running program, once one did. */
  protected stopSignal: NodeJS.Signals | undefined
  /** The program did not finish within `stopGraceMs` of the signal and was left behind. */
  private abandonedOnStop = false
  /** The SIGINT/SIGTERM handler of the running (or stopped) program, until the command ends. */
  private signalHandler: ((signal: NodeJS.Signals) => void) | undefined
  /** No event after `stopped` (a pass left behind may still end). */
  private eventsEnded = false
  protected args!: BaseArgs<T>
  private registry: MetricsShape | undefined
  /** False once --metrics-file was found unwritable: nothing more to say about it. */
  private metricsFileWritable = true

  /**
   * One registry per process: it outlives each program run, for --metrics-file. Created
   * after the flags are parsed, with Node process metrics only when they are exposed.
   */
  protected get metrics(): MetricsShape {
    this.registry ??= makeMetrics({ processMetrics: this.exposesMetrics() })
    return this.registry
  }

  /** Whether this run writes or serves its metrics (then process metrics are collected). */
  protected exposesMetrics(): boolean {
    return this.flags?.["metrics-file"] !== undefined
  }

  public override async init(): Promise<void> {
    await super.init()
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    }).catch((error: unknown) => {
      const seeHelp = `see \`${this.config.bin} ${(this.id ?? "").replaceAll(":", " ")} --help\``
      if (error instanceof FlagOutOfRange) {
        throw new CommandFailure(
          {
            tag: error._tag,
            message: error.problem,
            hint: seeHelp,
            exitCode: ExitCode.invalidConfig,
            details: { flag: error.flag, value: error.value, min: error.min, max: error.max },
          },
          "",
        )
      }
      // A flag or argument that does not parse is a usage error (exit 2), whatever
      // oclif's own class for it, said in one line.
      // oclif quotes the value it could not parse, which may be a URL with its password.
      const message = redactSecrets(
        usageProblem(error instanceof Error ? error.message : String(error)),
      )
      throw new CommandFailure(
        {
          tag: "UsageError",
          message,
          hint: seeHelp,
          exitCode: ExitCode.usage,
        },
        error instanceof Error ? (error.stack ?? "") : "",
      )
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    // Find out now, not after the work, that --metrics-file cannot be written.
    const metricsFile = this.flags["metrics-file"]
    if (metricsFile !== undefined)
      await this.checkOutputFile(
        "--metrics-file",
        metricsFile,
        "create the folder (node_exporter's --collector.textfile.directory) or choose another path",
        "coderops.prom",
      ).catch((error: unknown) => {
        this.metricsFileWritable = false
        throw error
      })
  }

  /**
   * Fails with exit 3 when a file the command writes after its work (`flag FILE`) cannot be:
   * its folder missing or not writable, or FILE a folder. Called before the work starts.
   */
  protected async checkOutputFile(
    flag: string,
    file: string,
    folderHint: string,
    example: string,
  ): Promise<void> {
    const path = resolve(file)
    const folder = dirname(path)
    if (
      !(await access(folder, constants.W_OK).then(
        () => true,
        () => false,
      ))
    )
      this.fail({
        message: `${flag} ${file}: the folder ${folder} does not exist or cannot be written`,
        hint: folderHint,
        exitCode: ExitCode.invalidConfig,
      })
    // The file is replaced or written whole, which cannot be done to a folder.
    if ((await stat(path).catch(() => undefined))?.isDirectory())
      this.fail({
        message: `${flag} ${file} is a folder, not a file`,
        hint: `name a file inside it, e.g. ${example}`,
        exitCode: ExitCode.invalidConfig,
      })
  }

  /** Session settings a command needs (timeouts, application name); none by default. */
  protected connectionOverrides(): ConfigOverrides {
    return {}
  }

  /** Whether this run keeps running (an exporter, a watch loop) until it is stopped. */
  protected runsUntilStopped(): boolean {
    return false
  }

  /**
   * --json output: coloured only on a terminal. oclif's colouring tokenizes the whole text
   * even when it adds no colour, which took seconds for 10,000 organizations.
   */
  override logJson(json: unknown): void {
    if (colorsWanted()) super.logJson(json)
    else ux.stdout(JSON.stringify(json, null, 2))
  }

  /** A line on stderr that does not stop the command; stdout (and --json) stays clean. */
  protected warnLine(text: string): void {
    process.stderr.write(`Warning: ${text}\n`)
  }

  /**
   * The progress line of long work, on stderr: live on a terminal, periodic elsewhere
   * (every $CODEROPS_PROGRESS_INTERVAL, default 5s); nothing under --json.
   */
  protected progressLine(): ProgressLine {
    const enabled = !this.jsonEnabled()
    return new ProgressLine({
      enabled,
      intervalMs: progressIntervalMs(process.env, (text) => enabled && this.warnLine(text)),
    })
  }

  /**
   * The database of this run: flag, environment, or the embedded server (which the
   * connection layer starts, see `databaseLayer`).
   */
  protected databaseTarget(): Effect.Effect<DatabaseTarget, unknown> {
    return resolveDatabaseTarget({
      databaseUrl: this.flags["database-url"],
      databaseUrlSource: "--database-url",
      env: process.env,
      overrides: this.connectionOverrides(),
    }).pipe(
      Effect.tap((target) =>
        Effect.sync(() => {
          // Any local user sees a process's arguments (ps, /proc) for as long as it runs.
          if (
            this.runsUntilStopped() &&
            !(target instanceof EmbeddedTarget) &&
            target.source === "--database-url" &&
            target.password !== undefined
          ) {
            this.warnLine(
              "the password in --database-url is visible in the process list (ps) while this runs; set CODER_PG_CONNECTION_URL instead",
            )
          }
        }),
      ),
    )
  }

  /** --metrics-addr, with a warning when it listens on every interface. */
  protected metricsAddress(value: string): Effect.Effect<ListenAddress, InvalidListenAddress> {
    return Effect.tap(parseListenAddress(value), (address) =>
      Effect.sync(() => {
        if (isWildcardHost(address.host)) {
          this.warnLine(
            `--metrics-addr ${value} listens on all interfaces: anyone who can reach this host can read /metrics (table names and sizes, migration state); give 127.0.0.1 or a private address, or firewall the port`,
          )
        }
      }),
    )
  }

  protected metricsLayer(): Layer.Layer<Metrics> {
    return Layer.succeed(Metrics, this.metrics)
  }

  /**
   * `Db` for this run, every statement instrumented into the process's metrics. Building
   * it (once per run) starts the embedded server when that is the target and it is down.
   */
  protected databaseLayer(): Layer.Layer<Db, unknown, Metrics> {
    return Layer.unwrap(Effect.map(this.databaseTarget(), QueryMetrics.layerFor))
  }

  /**
   * Runs a library program with `Db` and `Metrics` provided. SIGINT/SIGTERM interrupt it,
   * so its finalizers run (locks released, transactions rolled back) before the process
   * exits; for a long-running command (`runsUntilStopped`) that is a normal end.
   */
  protected async runDb<A, E>(program: Effect.Effect<A, E, Db | Metrics>): Promise<A> {
    return this.runEffect(Effect.provide(program, this.databaseLayer()))
  }

  /**
   * The exit code of a run a signal stopped, however it ended (its program interrupted or
   * left behind, a second signal): 0 for a long-running command, whose normal end it is.
   */
  private stopExitCode(): number {
    return this.runsUntilStopped() ? ExitCode.ok : ExitCode.interrupted
  }

  /** Ends the process at once, on a second signal: with the code of this stop, not the signal's death (which reads as a crash). */
  private exitNow(): never {
    return process.exit(process.exitCode ?? this.stopExitCode())
  }

  private removeSignalHandler(): void {
    if (this.signalHandler === undefined) return
    process.off("SIGINT", this.signalHandler)
    process.off("SIGTERM", this.signalHandler)
    this.signalHandler = undefined
  }

  protected async runEffect<A, E>(program: Effect.Effect<A, E, Metrics>): Promise<A> {
    const fiber = Effect.runFork(
      program.pipe(
        Effect.provide(this.metricsLayer()),
        Effect.provideService(References.MinimumLogLevel, this.flags.debug ? "Debug" : "Warn"),
        // stdout is for results (and --json); logs go to stderr, secrets redacted.
        Effect.provide(Logger.layer([redactingLogger(redactSecrets)])),
      ),
    )
    let grace: NodeJS.Timeout | undefined
    let abandon: () => void = () => {}
    const abandoned = new Promise<"abandoned">((resolve) => {
      abandon = () => resolve("abandoned")
    })
    this.removeSignalHandler()
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.stopSignal !== undefined) this.exitNow()
      this.stopSignal = signal
      this.logToStderr(stoppingLine(signal))
      Effect.runFork(Fiber.interrupt(fiber))
      // A service stops within its manager's patience even when a finalizer waits on a
      // database that does not answer (a connection attempt, closing the pool).
      if (this.runsUntilStopped()) grace = setTimeout(abandon, stopGraceMs)
    }
    this.signalHandler = onSignal
    process.on("SIGINT", onSignal)
    process.on("SIGTERM", onSignal)
    /** The end of a run a signal stopped, whether its program ended or was left behind. */
    const stoppedRun = (detail: string): A => {
      if (this.stopExitCode() === ExitCode.ok) return undefined as A
      throw new CommandFailure(
        {
          tag: "Interrupted",
          message: "interrupted",
          hint: undefined,
          exitCode: ExitCode.interrupted,
        },
        detail,
      )
    }
    try {
      const exit = await Promise.race([Effect.runPromise(Fiber.await(fiber)), abandoned])
      if (exit === "abandoned") {
        this.abandonedOnStop = true
        this.warnLine(
          `still waiting on the database ${stopGraceMs / 1000} s after ${this.stopSignal}: stopping without it (the server rolls back a transaction left open)`,
        )
        return stoppedRun("")
      }
      if (Exit.isSuccess(exit)) return exit.value
      if (Cause.hasInterruptsOnly(exit.cause)) return stoppedRun(Cause.pretty(exit.cause))
      const error = Cause.findErrorOption(exit.cause)
      const report =
        error._tag === "Some"
          ? this.reportFailure(error.value)
          : reportOf(new Error(`unexpected failure: ${Cause.squash(exit.cause)}`))
      throw new CommandFailure(report, Cause.pretty(exit.cause))
    } finally {
      clearTimeout(grace)
      // Once stopping, the handler stays until the command ends: another signal exits at once.
      if (this.stopSignal === undefined) this.removeSignalHandler()
    }
  }

  /** Writes --metrics-file however the command ended. */
  protected override async finally(error: Error | undefined): Promise<unknown> {
    const path = this.flags?.["metrics-file"]
    if (path !== undefined && this.metricsFileWritable) {
      const written = await Effect.runPromiseExit(
        Effect.provide(writeTextfile(path), this.metricsLayer()),
      )
      if (Exit.isFailure(written)) {
        const report = reportOf(Cause.squash(written.cause))
        process.stderr.write(
          `Error: ${report.message}\n${report.hint ? `Hint: ${report.hint}\n` : ""}`,
        )
        process.exitCode = process.exitCode || ExitCode.failure
      }
    }
    const result = await super.finally(error)
    this.removeSignalHandler()
    // What was left behind (a connection attempt) must not keep the process alive; an
    // unref'd timer fires only if something still does.
    if (this.abandonedOnStop) setTimeout(() => process.exit(), 100).unref()
    return result
  }

  /**
   * The words for a library's failure: its own message and hint by default; a plugin
   * adds what only the CLI can say (which command to run next).
   */
  protected reportFailure(error: unknown): FailureReport {
    return reportOf(error, this.errorTables())
  }

  /** The wording of the errors of the libraries this command uses, by tag (see ErrorTable). */
  protected errorTables(): ReadonlyArray<ErrorTable> {
    return []
  }

  /** Fails the command with a report (exit code, hint) without a stack trace. */
  protected fail(report: Omit<FailureReport, "tag"> & { readonly tag?: string }): never {
    throw new CommandFailure({ tag: "CommandFailed", ...report }, "")
  }

  /**
   * An event of a long-running mode (started, a pass, stopped): under `--json` one JSON
   * object on a line of stdout, written at once, with its time (ISO 8601 UTC); nothing
   * otherwise (the command prints its own text lines).
   */
  protected emitEvent(event: string, fields: Record<string, unknown> = {}): void {
    if (!this.jsonEnabled() || this.eventsEnded) return
    if (event === "stopped") this.eventsEnded = true
    const line = JSON.stringify(toJsonValue({ event, time: new Date().toISOString(), ...fields }))
    process.stdout.write(`${line}\n`)
  }

  /**
   * The end of a long-running command that a signal stopped: a line on stderr, or the
   * `stopped` event under `--json`, with the signal and how long it ran.
   */
  protected stopped(startedAt: number, fields: Record<string, unknown> = {}): void {
    const uptimeSeconds = roundSeconds((performance.now() - startedAt) / 1000)
    this.logToStderr(
      `${new Date().toISOString()} stopped${this.stopSignal ? ` on ${this.stopSignal}` : ""} after ${uptimeSeconds} s`,
    )
    this.emitEvent("stopped", { signal: this.stopSignal, uptimeSeconds, ...fields })
  }

  /**
   * `--json` keeps every key (a value that is absent, "no version", is null, not dropped)
   * and follows README's "JSON output" (durations, timestamps).
   */
  protected override toSuccessJson(result: unknown): unknown {
    if (result === undefined) return result
    return toJsonValue(result)
  }

  protected override async catch(error: Interfaces.CommandError): Promise<undefined> {
    const failure =
      error instanceof CommandFailure
        ? error
        : // Parse errors and other oclif errors keep oclif's own exit codes.
          new CommandFailure(
            {
              ...reportOf(error),
              ...(error.oclif ? { message: redactSecrets(usageProblem(error.message)) } : {}),
              exitCode: error.oclif?.exit ?? ExitCode.failure,
            },
            error.stack ?? "",
          )
    process.exitCode = failure.report.exitCode
    writeFailure(failure.report, {
      json: this.jsonEnabled(),
      // A long-running mode writes JSON lines: its error is one line too.
      oneLine: this.flags !== undefined && this.runsUntilStopped(),
      debugDetail:
        this.flags?.debug && failure.debugDetail ? redactSecrets(failure.debugDetail) : undefined,
    })
    return undefined
  }
}
