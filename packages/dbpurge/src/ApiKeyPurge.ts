import { Db } from "@coderops/db-core"
import { durationBuckets, Metrics } from "@coderops/metrics"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** Coder's dbpurge takes this transaction lock; holding it too, coderops never purges alongside coderd. */
export const purgeLockKey = 4n

export interface ApiKeyPurgeOptions {
  /** Keys that expired longer ago than this are deleted (Coder's retention). */
  readonly retention: Duration.Input
  /** Rows per batch; each batch is one short transaction (Coder: 10,000). */
  readonly batchSize?: number | undefined
  /** Report what would be deleted, deleting nothing. */
  readonly dryRun?: boolean | undefined
  /** Called after each batch, for progress output. */
  readonly onBatch?:
    | ((progress: {
        readonly batch: number
        readonly deleted: number
        readonly total: number
        readonly seconds: number
      }) => void)
    | undefined
  /**
   * Progress for a person watching: called once the expired keys are counted, then after
   * each batch. Asking for it costs a count first (one scan of api_keys, as the dry run's).
   */
  readonly onProgress?: ((progress: ApiKeyPurgeProgress) => void) | undefined
}

export interface ApiKeyPurgeProgress {
  /** Keys expired before the cutoff when the purge started: what it is to delete. */
  readonly total: number
  /** Keys deleted so far. */
  readonly purged: number
  readonly batches: number
  /** Seconds since the first batch started: the base of a rate. */
  readonly seconds: number
}

/** A retention below zero would put the cutoff in the future and delete live keys. */
export class InvalidRetention extends Data.TaggedError("InvalidRetention")<{
  /** In seconds, as every duration coderops reports. */
  readonly retentionSeconds: number
  readonly message: string
}> {}

export interface ApiKeyPurgeReport {
  /** now − retention, ISO 8601 UTC to the millisecond (the exact bound the deletes use). */
  readonly cutoff: string
  readonly dryRun: boolean
  /** Keys deleted, or with dryRun the keys that would be. */
  readonly purged: number
  readonly batches: number
  /** Batches that found coderd's purge holding the lock and waited for it. */
  readonly lockWaits: number
  readonly seconds: number
}

/**
 * Deletes API keys that expired before now − retention, in batches (select ids with
 * expires_at < cutoff limit N, delete those), as Coder's dbpurge does. api_keys has no
 * index on expires_at, so each batch scans until it has N ids; batches stay short so no
 * lock is held for long. OAuth2 provider tokens of those keys go with them (ON DELETE
 * CASCADE). Run it before an upgrade to take the dead weight off 000371-style rewrites.
 */
export const purgeExpiredApiKeys = Effect.fn("ApiKeyPurge.run")(function* (
  options: ApiKeyPurgeOptions,
) {
  const retentionMs = Duration.toMillis(options.retention)
  if (!(retentionMs >= 0)) {
    return yield* new InvalidRetention({
      retentionSeconds: retentionMs / 1000,
      message: `a retention of ${retentionMs / 1000} s would delete keys that have not expired; give 0 or more`,
    })
  }
  const db = yield* Db
  const metrics = yield* Metrics
  const purged = metrics.counter({
    name: "coderops_dbpurge_records_purged_total",
    help: "Rows deleted by coderops' purge, by record type (as Coder's coderd_dbpurge_records_purged_total).",
    labelNames: ["record_type"],
  })
  const batchDuration = metrics.histogram({
    name: "coderops_dbpurge_batch_duration_seconds",
    help: "Duration of each purge batch transaction, in seconds.",
    labelNames: ["record_type"],
    buckets: durationBuckets,
  })
  const started = performance.now()
  const [{ cutoff }] = (yield* db.query<{ cutoff: string }>(
    "GetPurgeCutoff",
    // In milliseconds, so the ISO text reported is the very bound the deletes compare with.
    `SELECT to_char(date_trunc('milliseconds', now() - $1 * interval '1 millisecond') AT TIME ZONE 'UTC',
                    'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS cutoff`,
    [retentionMs],
  )) as [{ cutoff: string }]
  const countExpired = Effect.map(
    db.query<{ n: string }>(
      "CountExpiredApiKeys",
      "SELECT count(*) AS n FROM api_keys WHERE expires_at < $1::timestamptz",
      [cutoff],
    ),
    (rows) => Number(rows[0]?.n ?? 0),
  )
  if (options.dryRun) {
    return {
      cutoff,
      dryRun: true,
      purged: yield* countExpired,
      batches: 0,
      lockWaits: 0,
      seconds: (performance.now() - started) / 1000,
    } satisfies ApiKeyPurgeReport
  }
  const batchSize = options.batchSize ?? 10_000
  let total = 0
  let batches = 0
  let lockWaits = 0
  const onProgress = options.onProgress
  // Keys whose expiry moves past the cutoff meanwhile are not deleted: the total is a bound.
  const expected = onProgress === undefined ? 0 : yield* countExpired
  const batchesStarted = performance.now()
  const progress = () =>
    onProgress?.({
      total: Math.max(expected, total),
      purged: total,
      batches,
      seconds: (performance.now() - batchesStarted) / 1000,
    })
  progress()
  for (;;) {
    const batchStarted = performance.now()
    const deleted = yield* db.transaction(
      "PurgeApiKeysBatch",
      Effect.gen(function* () {
        if (!(yield* db.tryAdvisoryXactLock(purgeLockKey))) return undefined
        return yield* db.execute(
          "DeleteExpiredApiKeys",
          `DELETE FROM api_keys WHERE id IN (
             SELECT id FROM api_keys WHERE expires_at < $1::timestamptz LIMIT $2)`,
          [cutoff, batchSize],
        )
      }),
    )
    if (deleted === undefined) {
      lockWaits++
      yield* Effect.logInfo("coderd's purge holds the purge lock; waiting 1 s")
      yield* Effect.sleep("1 second")
      continue
    }
    const seconds = (performance.now() - batchStarted) / 1000
    batchDuration.observe({ record_type: "api_keys" }, seconds)
    purged.inc({ record_type: "api_keys" }, deleted)
    total += deleted
    batches++
    options.onBatch?.({ batch: batches, deleted, total, seconds })
    progress()
    if (deleted < batchSize) break
  }
  return {
    cutoff,
    dryRun: false,
    purged: total,
    batches,
    lockWaits,
    seconds: (performance.now() - started) / 1000,
  } satisfies ApiKeyPurgeReport
})
