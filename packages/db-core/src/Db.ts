import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type pg from "pg"
import {
  DatabaseConfig,
  type DatabaseSettings,
  type DatabaseTarget,
  describeTarget,
} from "./DatabaseConfig.js"
import { sendCancelRequest } from "./internal/cancelRequest.js"
import { sendScript } from "./internal/scriptQuery.js"
import { targetConfig } from "./internal/targetConfig.js"
import { PgPool } from "./PgPool.js"
import { type ErrorContext, fromPgError, type SqlError } from "./SqlError.js"

/** What the query hook sees of every statement: never SQL text or parameters. */
export interface QueryEvent {
  readonly name: string
  readonly kind: "query" | "script" | "copy"
  readonly durationSeconds: number
  readonly outcome: "ok" | "error"
  readonly rowCount: number
  readonly error?: SqlError["_tag"] | undefined
}

export interface TransactionEvent {
  readonly name: string
  readonly durationSeconds: number
  readonly outcome: "commit" | "rollback"
}

/** Observes every statement and transaction that goes through `Db` (metrics, tests). */
export interface QueryObserver {
  readonly onQuery?: ((event: QueryEvent) => void) | undefined
  readonly onTransaction?: ((event: TransactionEvent) => void) | undefined
}

export type IsolationLevel = "read committed" | "repeatable read" | "serializable"

export interface TransactionOptions {
  readonly isolation?: IsolationLevel | undefined
  readonly readOnly?: boolean | undefined
  /**
   * `SET LOCAL` settings sent with BEGIN in the same message (one round trip fewer), e.g.
   * `{ lock_timeout: 3000 }`. Names are setting names; values numbers or plain words.
   */
  readonly settings?: Readonly<Record<string, number | string>> | undefined
}

/** A session advisory lock that another session holds, when `wait: false`. */
export class AdvisoryLockBusy extends Data.TaggedError("AdvisoryLockBusy")<{
  readonly key: bigint
  readonly message: string
}> {}

/** A transaction-level call made outside a transaction: a programming error. */
export class NotInTransaction extends Data.TaggedError("NotInTransaction")<{
  readonly operation: string
  readonly message: string
}> {}

export type Row = Record<string, unknown>

export interface DbShape {
  readonly settings: DatabaseSettings
  /** Runs one named, parameterised statement (extended protocol) and returns its rows. */
  readonly query: <R extends object = Row>(
    name: string,
    text: string,
    params?: ReadonlyArray<unknown>,
  ) => Effect.Effect<ReadonlyArray<R>, SqlError>
  /** Like `query`, returning the affected row count (INSERT/UPDATE/DELETE). */
  readonly execute: (
    name: string,
    text: string,
    params?: ReadonlyArray<unknown>,
  ) => Effect.Effect<number, SqlError>
  /**
   * Sends a multi-statement text as one simple-protocol query, as golang-migrate does:
   * outside a transaction the server runs it as one implicit transaction.
   */
  readonly script: (name: string, text: string) => Effect.Effect<void, SqlError>
  /**
   * Sends scripts (as `script` does) back to back on one connection: each as soon as the
   * one before it succeeded, and only then tells `onDone` of that one, so what the caller
   * does with a result overlaps the server's work on the next. `next` gives the next
   * script, or undefined to end. The chain stops at the first failure and fails with it;
   * the calls of `onDone` so far say which script it was. Interrupted, the chain lets the
   * running script end, sends no other, and ends as it would have (with that script's
   * failure, if it failed); the interruption takes effect after it.
   */
  readonly scriptChain: (
    name: string,
    next: () => string | undefined,
    onDone: (durationSeconds: number) => void,
  ) => Effect.Effect<void, SqlError>
  /** Runs `body` in a transaction (a savepoint when nested); rolls back on any failure. */
  readonly transaction: <A, E, R>(
    name: string,
    body: Effect.Effect<A, E, R>,
    options?: TransactionOptions,
  ) => Effect.Effect<A, E | SqlError, R>
  /** Runs `body` with every statement on one connection (session settings, session locks). */
  readonly withSession: <A, E, R>(body: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>
  /**
   * Holds a session-level advisory lock on a dedicated connection while `body` runs; the
   * body's statements run on that connection. `wait: false` fails with AdvisoryLockBusy.
   */
  readonly withAdvisoryLock: <A, E, R>(
    key: bigint,
    body: Effect.Effect<A, E, R>,
    options: { readonly wait: boolean },
  ) => Effect.Effect<A, E | SqlError | AdvisoryLockBusy, R>
  /** Transaction-level advisory lock, released at commit or rollback; waits for it. */
  readonly advisoryXactLock: (key: bigint) => Effect.Effect<void, SqlError | NotInTransaction>
  /** Transaction-level advisory lock if free right now (Coder's leader election). */
  readonly tryAdvisoryXactLock: (key: bigint) => Effect.Effect<boolean, SqlError | NotInTransaction>
  /** `COPY ... FROM STDIN` fed from `source`; returns the number of rows loaded. */
  readonly copyFrom: (
    name: string,
    text: string,
    source: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  ) => Effect.Effect<number, SqlError>
  /** Registers an observer of every statement; returns the function that removes it. */
  readonly addObserver: (observer: QueryObserver) => () => void
}

/** The connection a fiber is pinned to, and whether a transaction is open on it. */
interface Pinned {
  readonly owner: object
  readonly client: pg.PoolClient
  readonly transactionDepth: number
}

const CurrentConnection = Context.Reference<Pinned | undefined>(
  "@coderops/db-core/CurrentConnection",
  { defaultValue: () => undefined },
)

const isolationSql: Record<IsolationLevel, string> = {
  "read committed": "READ COMMITTED",
  "repeatable read": "REPEATABLE READ",
  serializable: "SERIALIZABLE",
}

const now = () => performance.now()

export const makeDb = (pool: pg.Pool, settings: DatabaseSettings): DbShape => {
  const owner = {}
  const observers = new Set<QueryObserver>()
  const target = describeTarget(settings)

  const errorContext = (query: string, text?: string): ErrorContext => ({
    query,
    text,
    target,
    user: settings.user,
    database: settings.database,
  })

  const notify = (event: QueryEvent) => {
    for (const observer of observers) observer.onQuery?.(event)
  }

  const pinnedClient = Effect.map(CurrentConnection, (pinned) =>
    pinned?.owner === owner ? pinned : undefined,
  )

  /**
   * Runs one call on the pinned client or a pooled one, timing it for the observers.
   * Interrupting the fiber cancels the statement on the server (a CancelRequest, which
   * needs no pool connection), so a timeout or Ctrl-C does not leave it running.
   */
  const run = <T>(
    name: string,
    kind: QueryEvent["kind"],
    text: string,
    call: (client: pg.PoolClient) => Promise<T>,
    rowsOf: (result: T) => number,
  ): Effect.Effect<T, SqlError> =>
    Effect.flatMap(pinnedClient, (pinned) =>
      Effect.callback<T, SqlError>((resume) => {
        const started = now()
        const report = (outcome: "ok" | "error", rowCount: number, error?: SqlError) =>
          notify({
            name,
            kind,
            durationSeconds: (now() - started) / 1000,
            outcome,
            rowCount,
            error: error?._tag,
          })
        let client: pg.PoolClient | undefined = pinned?.client
        let interrupted = false
        let inFlight = false
        let cancelled = false
        const execute = async () => {
          let broken = false
          try {
            client ??= await pool.connect()
            // Interrupted while waiting for a connection: send nothing.
            if (interrupted) throw new Error("interrupted before the statement was sent")
            inFlight = true
            const result = await call(client)
            report("ok", rowsOf(result))
            return result
          } catch (cause) {
            const error = fromPgError(cause, errorContext(name, text))
            broken = error._tag === "ConnectionFailed"
            report("error", 0, error)
            throw error
          } finally {
            inFlight = false
            // A pooled client goes back unless its connection broke or a cancel was sent
            // for it: a cancel can reach the server after the statement it was meant for.
            if (pinned === undefined) client?.release(broken || cancelled || undefined)
          }
        }
        const running = execute()
        running.then(
          (result) => resume(Effect.succeed(result)),
          (error: SqlError) => resume(Effect.fail(error)),
        )
        // On interruption: cancel the statement on the server and wait until it has ended,
        // so nothing the caller interrupted keeps running (or holds its client).
        return Effect.promise(async () => {
          interrupted = true
          const backend = client as { processID?: number; secretKey?: number } | undefined
          if (inFlight && backend?.processID != null && backend.secretKey != null) {
            cancelled = true
            await sendCancelRequest(
              settings,
              { processID: backend.processID, secretKey: backend.secretKey },
              Duration.toMillis(settings.connectTimeout),
            )
          }
          await running.catch(() => {})
        })
      }),
    )

  const query = <R extends object = Row>(
    name: string,
    text: string,
    params: ReadonlyArray<unknown> = [],
  ) =>
    Effect.map(
      run(
        name,
        "query",
        text,
        (client) => client.query<R & pg.QueryResultRow>({ text, values: params as Array<unknown> }),
        (result) => result.rowCount ?? result.rows.length,
      ),
      (result): ReadonlyArray<R> => result.rows,
    )

  const execute = (name: string, text: string, params: ReadonlyArray<unknown> = []) =>
    Effect.map(
      run(
        name,
        "query",
        text,
        (client) => client.query({ text, values: params as Array<unknown> }),
        (result) => result.rowCount ?? 0,
      ),
      (result) => result.rowCount ?? 0,
    )

  const rowsOfScript = (result: pg.QueryResult | Array<pg.QueryResult>) =>
    Array.isArray(result)
      ? result.reduce((sum, r) => sum + (r.rowCount ?? 0), 0)
      : (result.rowCount ?? 0)

  const script = (name: string, text: string) =>
    Effect.asVoid(
      run(
        name,
        "script",
        text,
        // No values: pg uses the simple query protocol, several statements in one message.
        (client) => sendScript(client, text),
        rowsOfScript,
      ),
    )

  /** Control statements (BEGIN, COMMIT, SAVEPOINT) are not reported as queries. */
  const control = (client: pg.PoolClient, name: string, text: string) =>
    Effect.tryPromise({
      try: () => client.query(text),
      catch: (cause) => fromPgError(cause, errorContext(name, text)),
    })

  const connect = Effect.tryPromise({
    try: () => pool.connect(),
    catch: (cause) => fromPgError(cause, errorContext("Connect")),
  })

  /** A client is returned to the pool only if it is known clean; otherwise it is closed. */
  const releaseClient = (client: pg.PoolClient, exit: Exit.Exit<unknown, unknown>) =>
    Effect.sync(() => client.release(Exit.isFailure(exit) ? true : undefined))

  const withPinned = <A, E, R>(pinned: Pinned, body: Effect.Effect<A, E, R>) =>
    Effect.provideService(body, CurrentConnection, pinned)

  const withSession = <A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
    Effect.flatMap(pinnedClient, (pinned) =>
      pinned !== undefined
        ? body
        : Effect.acquireUseRelease(
            connect,
            (client) => withPinned({ owner, client, transactionDepth: 0 }, body),
            releaseClient,
          ),
    )

  const scriptChain = (
    name: string,
    next: () => string | undefined,
    onDone: (durationSeconds: number) => void,
  ) =>
    withSession(
      Effect.flatMap(pinnedClient, (pinned) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.gen(function* () {
            const client = pinned!.client
            let stopped = false
            let failure: { readonly error: SqlError } | { readonly defect: unknown } | undefined
            let finish = () => {}
            const ended = new Promise<void>((resolve) => {
              finish = resolve
            })
            /** Runs the caller's or an observer's code: what it throws ends the chain. */
            const guarded = (body: () => void) => {
              try {
                body()
              } catch (defect) {
                failure ??= { defect }
              }
            }
            const send = () => {
              let text: string | undefined
              guarded(() => {
                text = stopped || failure !== undefined ? undefined : next()
              })
              if (text === undefined) return finish()
              const sql = text
              const started = now()
              const sent = sendScript(client, sql)
              sent.then(
                (result) => {
                  const durationSeconds = (now() - started) / 1000
                  // The server starts on the next script before the caller sees this one.
                  send()
                  guarded(() => {
                    notify({
                      name,
                      kind: "script",
                      durationSeconds,
                      outcome: "ok",
                      rowCount: rowsOfScript(result),
                    })
                    onDone(durationSeconds)
                  })
                },
                (cause: unknown) => {
                  const error = fromPgError(cause, errorContext(name, sql))
                  failure ??= { error }
                  guarded(() =>
                    notify({
                      name,
                      kind: "script",
                      durationSeconds: (now() - started) / 1000,
                      outcome: "error",
                      rowCount: 0,
                      error: error._tag,
                    }),
                  )
                  finish()
                },
              )
            }
            send()
            const waited = yield* Effect.exit(restore(Effect.promise(() => ended)))
            if (Exit.isFailure(waited)) {
              stopped = true
              yield* Effect.promise(() => ended)
            }
            if (failure === undefined) return
            return yield* "error" in failure
              ? Effect.fail(failure.error)
              : Effect.die(failure.defect)
          }),
        ),
      ),
    )

  const finishTransaction = <A, E, R>(
    name: string,
    pinned: Pinned,
    body: Effect.Effect<A, E, R>,
    begin: string,
    commit: string,
    rollback: string,
  ): Effect.Effect<A, E | SqlError, R> =>
    Effect.gen(function* () {
      const started = now()
      yield* control(pinned.client, name, begin)
      const inner: Pinned = { ...pinned, transactionDepth: pinned.transactionDepth + 1 }
      const exit = yield* Effect.exit(withPinned(inner, body))
      const end = Exit.isSuccess(exit)
        ? control(pinned.client, name, commit)
        : control(pinned.client, name, rollback)
      const ended = yield* Effect.exit(end)
      if (pinned.transactionDepth === 0) {
        const outcome = Exit.isSuccess(exit) && Exit.isSuccess(ended) ? "commit" : "rollback"
        const event = { name, durationSeconds: (now() - started) / 1000, outcome } as const
        for (const observer of observers) observer.onTransaction?.(event)
      }
      if (Exit.isSuccess(exit) && Exit.isFailure(ended)) return yield* Effect.failCause(ended.cause)
      return yield* exit
    }).pipe(
      // An interrupted body leaves the transaction open: roll it back before the client
      // goes anywhere else.
      Effect.onInterrupt(() => Effect.ignore(control(pinned.client, name, rollback))),
    )

  const transaction = <A, E, R>(
    name: string,
    body: Effect.Effect<A, E, R>,
    options: TransactionOptions = {},
  ): Effect.Effect<A, E | SqlError, R> => {
    const modes = [
      options.isolation ? `ISOLATION LEVEL ${isolationSql[options.isolation]}` : "",
      options.readOnly ? "READ ONLY" : "",
    ]
      .filter((mode) => mode !== "")
      .join(" ")
    const settings = Object.entries(options.settings ?? {}).map(([name, value]) => {
      // SET takes no bind parameters: only plain names and values are let through.
      if (!/^[a-z_.]+$/.test(name) || !/^[A-Za-z0-9_.-]+$/.test(String(value))) {
        throw new Error(`transaction setting ${name} = ${value} is not a plain name and value`)
      }
      return `; SET LOCAL ${name} = ${typeof value === "number" ? value : `'${value}'`}`
    })
    const begin = `${modes === "" ? "BEGIN" : `BEGIN ${modes}`}${settings.join("")}`
    return Effect.flatMap(pinnedClient, (pinned) => {
      if (pinned !== undefined && pinned.transactionDepth > 0) {
        const savepoint = `coderops_sp_${pinned.transactionDepth}`
        return finishTransaction(
          name,
          pinned,
          body,
          `SAVEPOINT ${savepoint}`,
          `RELEASE SAVEPOINT ${savepoint}`,
          `ROLLBACK TO SAVEPOINT ${savepoint}`,
        )
      }
      if (pinned !== undefined) {
        return finishTransaction(name, pinned, body, begin, "COMMIT", "ROLLBACK")
      }
      return Effect.acquireUseRelease(
        connect,
        (client) =>
          finishTransaction(
            name,
            { owner, client, transactionDepth: 0 },
            body,
            begin,
            "COMMIT",
            "ROLLBACK",
          ),
        releaseClient,
      )
    })
  }

  const keyParam = (key: bigint) => key.toString()

  const withAdvisoryLock = <A, E, R>(
    key: bigint,
    body: Effect.Effect<A, E, R>,
    options: { readonly wait: boolean },
  ): Effect.Effect<A, E | SqlError | AdvisoryLockBusy, R> =>
    Effect.acquireUseRelease(
      connect,
      (client) => {
        const pinned: Pinned = { owner, client, transactionDepth: 0 }
        const acquire = options.wait
          ? Effect.as(
              query("AcquireAdvisoryLock", "SELECT pg_advisory_lock($1::bigint)", [keyParam(key)]),
              true,
            )
          : Effect.map(
              query<{ locked: boolean }>(
                "TryAdvisoryLock",
                "SELECT pg_try_advisory_lock($1::bigint) AS locked",
                [keyParam(key)],
              ),
              (rows) => rows[0]?.locked === true,
            )
        const release = Effect.ignore(
          query("ReleaseAdvisoryLock", "SELECT pg_advisory_unlock($1::bigint)", [keyParam(key)]),
        )
        return withPinned(
          pinned,
          Effect.flatMap(
            acquire,
            (locked): Effect.Effect<A, E | SqlError | AdvisoryLockBusy, R> =>
              locked
                ? Effect.ensuring(body, release)
                : Effect.fail(
                    new AdvisoryLockBusy({
                      key,
                      message: `advisory lock ${key} is held by another session`,
                    }),
                  ),
          ),
        )
      },
      releaseClient,
    )

  const requireTransaction = (operation: string) =>
    Effect.flatMap(pinnedClient, (pinned) =>
      pinned !== undefined && pinned.transactionDepth > 0
        ? Effect.void
        : Effect.fail(
            new NotInTransaction({
              operation,
              message: `${operation} holds its lock until the transaction ends; call it inside Db.transaction`,
            }),
          ),
    )

  const advisoryXactLock = (key: bigint) =>
    Effect.andThen(
      requireTransaction("advisoryXactLock"),
      Effect.asVoid(
        query("AcquireAdvisoryXactLock", "SELECT pg_advisory_xact_lock($1::bigint)", [
          keyParam(key),
        ]),
      ),
    )

  const tryAdvisoryXactLock = (key: bigint) =>
    Effect.andThen(
      requireTransaction("tryAdvisoryXactLock"),
      Effect.map(
        query<{ locked: boolean }>(
          "TryAdvisoryXactLock",
          "SELECT pg_try_advisory_xact_lock($1::bigint) AS locked",
          [keyParam(key)],
        ),
        (rows) => rows[0]?.locked === true,
      ),
    )

  const copyFromSource = (
    name: string,
    text: string,
    source: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  ) =>
    withSession(
      run(
        name,
        "copy",
        text,
        async (client) => {
          // Only seeding copies: loaded here, not on every command's start.
          const { from: copyFrom } = await import("pg-copy-streams")
          const stream = client.query(copyFrom(text))
          await pipeline(Readable.from(source, { objectMode: false }), stream)
          return stream.rowCount ?? 0
        },
        (rows) => rows,
      ),
    )

  return {
    settings,
    query: <R extends object = Row>(name: string, text: string, params?: ReadonlyArray<unknown>) =>
      Effect.withSpan(query<R>(name, text, params), "Db.query", { attributes: { name } }),
    execute,
    script: Effect.fn("Db.script")(function* (name: string, text: string) {
      return yield* script(name, text)
    }),
    scriptChain: Effect.fn("Db.scriptChain")(function* (
      name: string,
      next: () => string | undefined,
      onDone: (durationSeconds: number) => void,
    ) {
      return yield* scriptChain(name, next, onDone)
    }),
    transaction: (name, body, options) =>
      Effect.withSpan(transaction(name, body, options), "Db.transaction", { attributes: { name } }),
    withSession,
    withAdvisoryLock,
    advisoryXactLock,
    tryAdvisoryXactLock,
    copyFrom: Effect.fn("Db.copyFrom")(function* (
      name: string,
      text: string,
      source: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
    ) {
      return yield* copyFromSource(name, text, source)
    }),
    addObserver: (observer) => {
      observers.add(observer)
      return () => observers.delete(observer)
    },
  }
}

/** Every SQL statement the toolkit runs goes through `Db`, named, timed and observed. */
export class Db extends Context.Service<Db, DbShape>()("@coderops/db-core/Db") {
  static readonly layer = Layer.effect(Db)(
    Effect.gen(function* () {
      const pool = yield* PgPool
      const settings = yield* DatabaseConfig
      return makeDb(pool, settings)
    }),
  )

  /**
   * `Db` with its own pool, for the given settings or target. The embedded server is
   * started here, when the layer is built (once per layer, so once per command), if it
   * does not run yet. Fresh: layers are memoized by identity, and a `Db` for another
   * database provided inside one already built must not be the outer one (a scratch
   * database would otherwise be the real one).
   */
  static readonly layerFrom = (target: DatabaseTarget) =>
    Layer.fresh(
      Db.layer.pipe(Layer.provide(PgPool.layer), Layer.provideMerge(targetConfig(target))),
    )
}
