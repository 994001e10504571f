import { type DatabaseSettings, Db, describeTarget } from "@coderops/db-core"
import { QueryMetrics } from "@coderops/metrics"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"

/** The role on the scratch server may not create databases: nothing can be rehearsed there. */
export class ScratchServerRefused extends Data.TaggedError("ScratchServerRefused")<{
  /** `user@host:port/database`, no password. */
  readonly server: string
  readonly message: string
}> {}

/**
 * Runs `effect` with `Db` on the scratch server when one is given (a server configured
 * like production), else on `Db`'s own server.
 */
export const onScratchServer = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  server: DatabaseSettings | undefined,
) => (server === undefined ? effect : Effect.provide(effect, QueryMetrics.layerFor(server)))

/** Fails with `ScratchServerRefused` unless `Db`'s role may CREATE DATABASE. */
export const checkScratchServer = Effect.fn("ScratchServer.check")(function* () {
  const db = yield* Db
  const [row] = yield* db.query<{ allowed: boolean }>(
    "RehearseScratchPrivilege",
    "SELECT rolcreatedb OR rolsuper AS allowed FROM pg_roles WHERE rolname = current_user",
  )
  if (row?.allowed === true) return
  const server = describeTarget(db.settings)
  return yield* new ScratchServerRefused({
    server,
    message: `${server} may not create databases (no CREATEDB): the scratch databases cannot be made there`,
  })
})
