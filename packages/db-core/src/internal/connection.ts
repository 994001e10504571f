import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type pg from "pg"
import { type DatabaseSettings, describeTarget } from "../DatabaseConfig.js"
import type { QueryEvent, QueryObserver } from "../QueryObserver.js"
import { type ErrorContext, fromPgError, type SqlError } from "../SqlError.js"

/** The connection a fiber is pinned to, and whether a transaction is open on it. */
export interface Pinned {
  readonly owner: object
  readonly client: pg.PoolClient
  readonly transactionDepth: number
}

const CurrentConnection = Context.Reference<Pinned | undefined>(
  "@coderops/db-core/CurrentConnection",
  { defaultValue: () => undefined },
)

export const now = () => performance.now()

/**
 * What every part of one `Db` shares: its pool and settings, its observers, and the
 * connection the current fiber is pinned to (only if pinned by this `Db`: another `Db`'s
 * connection is another database's).
 */
export interface Connection {
  readonly owner: object
  readonly pool: pg.Pool
  readonly settings: DatabaseSettings
  readonly observers: Set<QueryObserver>
  readonly errorContext: (query: string, text?: string) => ErrorContext
  readonly notify: (event: QueryEvent) => void
  readonly pinnedClient: Effect.Effect<Pinned | undefined>
  readonly connect: Effect.Effect<pg.PoolClient, SqlError>
}

export const makeConnection = (pool: pg.Pool, settings: DatabaseSettings): Connection => {
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
  return {
    owner,
    pool,
    settings,
    observers,
    errorContext,
    notify: (event) => {
      for (const observer of observers) observer.onQuery?.(event)
    },
    pinnedClient: Effect.map(CurrentConnection, (pinned) =>
      pinned?.owner === owner ? pinned : undefined,
    ),
    connect: Effect.tryPromise({
      try: () => pool.connect(),
      catch: (cause) => fromPgError(cause, errorContext("Connect")),
    }),
  }
}

/** A client is returned to the pool only if it is known clean; otherwise it is closed. */
export const releaseClient = (client: pg.PoolClient, exit: Exit.Exit<unknown, unknown>) =>
  Effect.sync(() => client.release(Exit.isFailure(exit) ? true : undefined))

export const withPinned = <A, E, R>(pinned: Pinned, body: Effect.Effect<A, E, R>) =>
  Effect.provideService(body, CurrentConnection, pinned)

/** Runs `body` pinned to no connection: its statements take others of the pool. */
export const detached = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.provideService(body, CurrentConnection, undefined)

/** Runs `body` with every statement on one connection (session settings, session locks). */
export const withSession = <A, E, R>(
  conn: Connection,
  body: Effect.Effect<A, E, R>,
): Effect.Effect<A, E | SqlError, R> =>
  Effect.flatMap(conn.pinnedClient, (pinned) =>
    pinned !== undefined
      ? body
      : Effect.acquireUseRelease(
          conn.connect,
          (client) => withPinned({ owner: conn.owner, client, transactionDepth: 0 }, body),
          releaseClient,
        ),
  )
