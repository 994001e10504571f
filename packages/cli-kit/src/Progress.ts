import { formatGoDuration, parseGoDuration } from "@coderops/db-core"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { formatCount } from "./render.js"

/** Where progress goes: stderr, or a test's stand-in for it. */
export interface ProgressStream {
  write(text: string): unknown
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
}

export interface ProgressOptions {
  /** Default: process.stderr. */
  readonly stream?: ProgressStream | undefined
  /** False under --json: nothing is written. */
  readonly enabled?: boolean | undefined
  /** Off a terminal, the least time between two lines, in milliseconds (default 5 s). */
  readonly intervalMs?: number | undefined
  /** Milliseconds on a monotonic clock (tests give their own). */
  readonly now?: (() => number) | undefined
}

/** The variable that sets the interval of periodic lines (a Go duration; 0 = every update). */
export const progressIntervalVariable = "CODEROPS_PROGRESS_INTERVAL"

export const defaultProgressIntervalMs = 5000

/** A live line is redrawn at most this often: more is flicker, and costs the work time. */
const redrawMs = 100

/**
 * Progress of long work, on stderr, never on stdout. On a terminal, one live line
 * rewritten in place (a carriage return and spaces, no escape codes) at most every 100 ms;
 * off a terminal (a log, a pipe), a plain line at most every `intervalMs`, the first one
 * only after that long, so short work stays quiet. `log` writes a line that stays (a
 * migration done); `done` clears the live line before the result or an error.
 */
export class ProgressLine {
  private readonly stream: ProgressStream
  private readonly enabled: boolean
  private readonly live: boolean
  private readonly intervalMs: number
  private readonly now: () => number
  private last: number
  /** What the live line shows now. */
  private shown = ""
  private pending: string | undefined
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr
    this.enabled = options.enabled ?? true
    this.live = this.stream.isTTY === true
    this.intervalMs = options.intervalMs ?? defaultProgressIntervalMs
    this.now = options.now ?? (() => performance.now())
    this.last = this.live ? Number.NEGATIVE_INFINITY : this.now()
  }

  /** The state of the work now; shown or not, as the throttle allows. */
  update(text: string): void {
    if (!this.enabled) return
    const now = this.now()
    if (!this.live) {
      if (now - this.last < this.intervalMs) return
      this.last = now
      this.stream.write(`${text}\n`)
      return
    }
    this.pending = text
    if (now - this.last >= redrawMs) this.draw()
    else
      this.timer ??= setTimeout(
        () => {
          this.timer = undefined
          this.draw()
        },
        redrawMs - (now - this.last),
      ).unref()
  }

  /** A line that stays; the live line is cleared first (and shows again on the next update). */
  log(text: string): void {
    if (!this.enabled) return
    this.clear()
    this.stream.write(`${text}\n`)
  }

  /** Clears the live line; what the command prints next starts on a clean line. */
  done(): void {
    this.clear()
  }

  private draw(): void {
    const text = this.pending
    this.pending = undefined
    if (text === undefined) return
    this.last = this.now()
    // A line longer than the terminal wraps, and a carriage return no longer reaches its start.
    const width = Math.max((this.stream.columns || 80) - 1, 10)
    const line = text.length > width ? `${text.slice(0, width - 1)}…` : text
    this.stream.write(`\r${line}${" ".repeat(Math.max(this.shown.length - line.length, 0))}`)
    this.shown = line
  }

  private clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.pending = undefined
    if (this.shown === "") return
    this.stream.write(`\r${" ".repeat(this.shown.length)}\r`)
    this.shown = ""
  }
}

/**
 * The interval of periodic lines from CODEROPS_PROGRESS_INTERVAL (a Go duration such as
 * 5s or 200ms; 0 writes every update), or the default; `warn` hears of a value that is
 * not a duration.
 */
export const progressIntervalMs = (
  env: Record<string, string | undefined>,
  warn: (text: string) => void,
): number => {
  const value = env[progressIntervalVariable]
  if (value === undefined || value === "") return defaultProgressIntervalMs
  const parsed = Effect.runSyncExit(parseGoDuration(value, progressIntervalVariable))
  if (Exit.isSuccess(parsed)) return Duration.toMillis(parsed.value)
  const error = Cause.squash(parsed.cause)
  const every = formatGoDuration(Duration.millis(defaultProgressIntervalMs))
  warn(`${error instanceof Error ? error.message : String(error)}; progress lines every ${every}`)
  return defaultProgressIntervalMs
}

/** Seconds as a Go duration, whole seconds from 10 s on: "2.5s", "42s", "3m5s". */
export const formatElapsed = (seconds: number): string =>
  seconds < 10 ? `${seconds.toFixed(1)}s` : formatGoDuration(Duration.seconds(Math.round(seconds)))

export interface WorkProgress {
  /** Units done so far. */
  readonly done: number
  /** All the units, when known. */
  readonly total?: number | undefined
  /** Seconds the work has run (for the rate). */
  readonly seconds: number
  /** What is counted: "rows", "keys". */
  readonly unit: string
}

/** "4,000 of 10,000 keys (40%), 25,000 keys/s, about 1m5s left". */
export const describeProgress = ({ done, total, seconds, unit }: WorkProgress): string => {
  let text = `${formatCount(done)}${total === undefined ? "" : ` of ${formatCount(total)}`} ${unit}`
  if (total !== undefined && total > 0) text += ` (${Math.floor((done / total) * 100)}%)`
  const rate = seconds > 0 && done > 0 ? done / seconds : undefined
  if (rate !== undefined) text += `, ${formatCount(Math.round(rate))} ${unit}/s`
  if (rate !== undefined && total !== undefined && total > done)
    text += `, about ${formatElapsed((total - done) / rate)} left`
  return text
}
