// Not in @coderops/test-postgres: that harness is a dev dependency of db-core and
// metrics themselves, and depending on them would make a cycle turbo refuses.
import type { Db } from "@coderops/db-core"
import { instrumentedDatabase, type Metrics } from "@coderops/metrics"
import * as Effect from "effect/Effect"

/**
 * Runs a library program against the database at `url` (a test database's URL): a `Db`
 * of its own, every statement instrumented into a fresh `Metrics` registry, both closed
 * when the program ends.
 */
export const run = <A, E>(url: string, program: Effect.Effect<A, E, Db | Metrics>): Promise<A> =>
  Effect.runPromise(Effect.scoped(Effect.provide(program, instrumentedDatabase(url))))
