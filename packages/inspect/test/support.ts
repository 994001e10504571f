import { Db, parseDatabaseUrl } from "@coderops/db-core"
import * as Effect from "effect/Effect"

/** Runs a program against the database at `url` with a fresh Db layer. */
export const runWithDb = <A, E>(url: string, program: Effect.Effect<A, E, Db>) =>
  Effect.runPromise(
    Effect.flatMap(parseDatabaseUrl(url, "explicit"), (settings) =>
      Effect.provide(program, Db.layerFrom(settings)),
    ),
  )
