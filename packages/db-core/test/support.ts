import * as Effect from "effect/Effect"
import { Db, parseDatabaseUrl } from "../src/index.js"

/** Runs a program against the database at `url` with a fresh Db layer. */
export const runWithDb = <A, E>(url: string, program: Effect.Effect<A, E, Db>) =>
  Effect.runPromise(
    Effect.flatMap(parseDatabaseUrl(url, "explicit"), (settings) =>
      Effect.provide(program, Db.layerFrom(settings)),
    ),
  )

/** The typed error of a program that must fail (its success fails the test). */
export const failureOf = <A, E>(url: string, program: Effect.Effect<A, E, Db>) =>
  runWithDb(url, Effect.flip(program))
