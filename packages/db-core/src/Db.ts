import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type pg from "pg"
import { DatabaseConfig, type DatabaseSettings, type DatabaseTarget } from "./DatabaseConfig.js"
import type { DbShape, Row } from "./DbShape.js"
import { advisoryXactLock, tryAdvisoryXactLock, withAdvisoryLock } from "./internal/advisoryLock.js"
import { detached, makeConnection, withSession } from "./internal/connection.js"
import { copyFrom } from "./internal/copy.js"
import { script, scriptChain } from "./internal/script.js"
import { execute, query } from "./internal/statement.js"
import { targetConfig } from "./internal/targetConfig.js"
import { transaction } from "./internal/transaction.js"
import { PgPool } from "./PgPool.js"

export const makeDb = (pool: pg.Pool, settings: DatabaseSettings): DbShape => {
  const conn = makeConnection(pool, settings)
  return {
    settings,
    query: <R extends object = Row>(name: string, text: string, params?: ReadonlyArray<unknown>) =>
      Effect.withSpan(query<R>(conn, name, text, params), "Db.query", { attributes: { name } }),
    execute: (name, text, params) => execute(conn, name, text, params),
    script: Effect.fn("Db.script")(function* (name: string, text: string) {
      return yield* script(conn, name, text)
    }),
    scriptChain: Effect.fn("Db.scriptChain")(function* (
      name: string,
      next: () => string | undefined,
      onDone: (durationSeconds: number) => void,
    ) {
      return yield* scriptChain(conn, name, next, onDone)
    }),
    transaction: (name, body, options) =>
      Effect.withSpan(transaction(conn, name, body, options), "Db.transaction", {
        attributes: { name },
      }),
    withSession: (body) => withSession(conn, body),
    detached,
    withAdvisoryLock: (key, body, options) => withAdvisoryLock(conn, key, body, options),
    advisoryXactLock: (key) => advisoryXactLock(conn, key),
    tryAdvisoryXactLock: (key) => tryAdvisoryXactLock(conn, key),
    copyFrom: Effect.fn("Db.copyFrom")(function* (
      name: string,
      text: string,
      source: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
      onSent?: (() => void) | undefined,
    ) {
      return yield* copyFrom(conn, name, text, source, onSent)
    }),
    addObserver: (observer) => {
      conn.observers.add(observer)
      return () => conn.observers.delete(observer)
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
