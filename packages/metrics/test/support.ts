import type { Db } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import { instrumentedDatabase, type Metrics } from "../src/index.js"

export const run = <A, E>(url: string, program: Effect.Effect<A, E, Db | Metrics>) =>
  Effect.runPromise(Effect.scoped(Effect.provide(program, instrumentedDatabase(url))))
