import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type { DatabaseSettings } from "./DatabaseConfig.js"
import type { QueryObserver } from "./QueryObserver.js"
import type { SqlError } from "./SqlError.js"

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
   * Runs `body` on other connections of the pool than the one the caller is pinned to (a
   * session, a transaction): a watcher beside a statement that waits, e.g. for a lock.
   */
  readonly detached: <A, E, R>(body: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
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
  /**
   * `COPY ... FROM STDIN` fed from `source`; returns the number of rows loaded. `onSent`
   * hears of each chunk of `source` once it is written to the connection.
   */
  readonly copyFrom: (
    name: string,
    text: string,
    source: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
    onSent?: (() => void) | undefined,
  ) => Effect.Effect<number, SqlError>
  /** Registers an observer of every statement; returns the function that removes it. */
  readonly addObserver: (observer: QueryObserver) => () => void
}
