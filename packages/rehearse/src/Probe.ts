import { Db, type DbShape } from "@coderops/db-core"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/** A table to probe, its name and one of its columns as SQL identifiers (quoted). */
export interface ProbeTarget {
  readonly table: string
  readonly quotedTable: string
  readonly quotedColumn: string
}

/** How long coderd's cheap queries on one table waited while the probed work ran. */
export interface TableBlocking {
  readonly table: string
  /** Seconds during which a read or a write on the table was waiting (union of the waits). */
  readonly blockedSeconds: number
  /** The longest single wait: what one request of coderd's would have hung for. */
  readonly longestSeconds: number
  readonly longestReadSeconds: number
  readonly longestWriteSeconds: number
  readonly probes: number
  /** The waits, in seconds since the origin: [start, end]. */
  readonly intervals: ReadonlyArray<readonly [number, number]>
  /** The reads' and the writes' waits apart (to attribute them to the locks that cause them). */
  readonly readIntervals: ReadonlyArray<readonly [number, number]>
  readonly writeIntervals: ReadonlyArray<readonly [number, number]>
}

export interface ProbeOptions {
  /** A probe that takes longer than this was blocked (an unblocked one takes about 1 ms). */
  readonly thresholdSeconds?: number | undefined
  /** performance.now() the intervals are measured from. */
  readonly origin?: number | undefined
}

/**
 * Reads the targets for tables: each existing table with a column to write to itself
 * (a probe write changes nothing). Tables that do not exist are left out.
 */
export const probeTargets = Effect.fn("Probe.targets")(function* (tables: ReadonlyArray<string>) {
  const db = yield* Db
  if (tables.length === 0) return []
  return yield* db.query<ProbeTarget>(
    "RehearseProbeTargets",
    `SELECT c.relname AS "table", quote_ident(c.relname) AS "quotedTable",
            (SELECT quote_ident(a.attname) FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                AND a.attgenerated = '' ORDER BY a.attnum LIMIT 1) AS "quotedColumn"
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY($1)
      ORDER BY c.relname`,
    [tables],
  )
})

/** The union of intervals, sorted. */
export const union = (intervals: ReadonlyArray<readonly [number, number]>) => {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const [start, end] of sorted) {
    const last = merged.at(-1)
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end)
    else merged.push([start, end])
  }
  return merged
}

interface Sample {
  readonly kind: "read" | "write"
  readonly start: number
  readonly seconds: number
}

/**
 * One table's loop of one kind of probe (a session each for reads and writes: a blocked
 * write must not hide whether reads were blocked too), each timed, until `stopped()`.
 */
const probeLoop = (
  db: DbShape,
  target: ProbeTarget,
  kind: Sample["kind"],
  stopped: () => boolean,
  origin: number,
  ready: Deferred.Deferred<void>,
) =>
  Effect.gen(function* () {
    const samples: Array<Sample> = []
    const probe =
      kind === "read"
        ? db.query("RehearseProbeRead", `SELECT 1 FROM ${target.quotedTable} LIMIT 1`)
        : db.execute(
            "RehearseProbeWrite",
            `UPDATE ${target.quotedTable} SET ${target.quotedColumn} = ${target.quotedColumn} WHERE false`,
          )
    // Its own session, connected by an untimed probe before the body starts: a first probe
    // would otherwise count the connection's setup (SCRAM, startup), or wait on a lock the
    // body took meanwhile, as blocked time.
    yield* Effect.ignore(probe)
    yield* Deferred.succeed(ready, undefined)
    while (!stopped()) {
      const start = performance.now()
      // A table dropped or renamed under the probe fails it: that is not a wait.
      yield* Effect.ignore(probe)
      samples.push({
        kind,
        start: (start - origin) / 1000,
        seconds: (performance.now() - start) / 1000,
      })
      // Leaves the server room: an unblocked probe loop would otherwise spin.
      yield* Effect.sleep("2 millis")
    }
    return samples
  }).pipe(
    db.withSession,
    // A session that cannot connect must not leave withProbe waiting: its error comes on join.
    Effect.ensuring(Deferred.succeed(ready, undefined)),
  )

const summarize = (table: string, samples: ReadonlyArray<Sample>, threshold: number) => {
  const blocked = samples.filter((s) => s.seconds > threshold)
  const longest = (kind?: Sample["kind"]) =>
    Math.max(
      0,
      ...blocked.filter((s) => kind === undefined || s.kind === kind).map((s) => s.seconds),
    )
  const spans = (kind?: Sample["kind"]) =>
    union(
      blocked
        .filter((s) => kind === undefined || s.kind === kind)
        .map((s) => [s.start, s.start + s.seconds] as const),
    )
  const intervals = spans()
  return {
    table,
    blockedSeconds: intervals.reduce((sum, [a, b]) => sum + (b - a), 0),
    longestSeconds: longest(),
    longestReadSeconds: longest("read"),
    longestWriteSeconds: longest("write"),
    probes: samples.length,
    intervals,
    readIntervals: spans("read"),
    writeIntervals: spans("write"),
  } satisfies TableBlocking
}

/**
 * Runs `body` while two more sessions per table play coderd: a cheap read (`SELECT 1 …
 * LIMIT 1`, blocked only by ACCESS EXCLUSIVE) and a cheap write that changes nothing but
 * takes ROW EXCLUSIVE (`UPDATE … WHERE false`, blocked also by SHARE locks such as a
 * CREATE INDEX), in a loop; a probe that took longer than the threshold was blocked. The
 * loops stop after `body` ends and their last probes return (a blocked probe returns when
 * the lock is released). `Db`'s pool needs two connections per target besides the body's.
 */
export const withProbe = <A, E, R>(
  targets: ReadonlyArray<ProbeTarget>,
  body: Effect.Effect<A, E, R>,
  options: ProbeOptions = {},
) =>
  Effect.gen(function* () {
    const db = yield* Db
    const origin = options.origin ?? performance.now()
    const threshold = options.thresholdSeconds ?? 0.02
    let stop = false
    const kinds = ["read", "write"] as const
    const loops = yield* Effect.forEach(
      targets.flatMap((target) => kinds.map((kind) => ({ target, kind }))),
      ({ target, kind }) =>
        Effect.map(Deferred.make<void>(), (ready) => ({
          ready,
          loop: probeLoop(db, target, kind, () => stop, origin, ready),
        })),
    )
    const fibers = yield* Effect.forEach(loops, ({ loop }) => Effect.forkChild(loop))
    yield* Effect.forEach(loops, ({ ready }) => Deferred.await(ready), { discard: true })
    const result = yield* Effect.ensuring(
      body,
      Effect.sync(() => {
        stop = true
      }),
    )
    const samples = yield* Effect.forEach(fibers, (fiber) => Fiber.join(fiber))
    const blocking = targets.map((t, i) =>
      summarize(t.table, [...(samples[2 * i] ?? []), ...(samples[2 * i + 1] ?? [])], threshold),
    )
    return { result, blocking }
  })
