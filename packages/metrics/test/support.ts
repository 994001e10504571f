import { Db, parseDatabaseUrl } from "@coderops/db-core"
import { Effect, Layer } from "effect"
import { Metrics, QueryMetrics } from "../src/index.js"

/** Db for `url`, a fresh registry (no process metrics unless asked), and query instrumentation. */
export const instrumentedLayer = (url: string, options?: { readonly processMetrics?: boolean }) =>
  Layer.unwrap(
    Effect.map(parseDatabaseUrl(url, "explicit"), (settings) =>
      QueryMetrics.layer.pipe(
        Layer.provideMerge(Db.layerFrom(settings)),
        Layer.provideMerge(options?.processMetrics ? Metrics.layer : Metrics.layerWithoutProcess),
      ),
    ),
  )

export const run = <A, E>(url: string, program: Effect.Effect<A, E, Db | Metrics>) =>
  Effect.runPromise(Effect.scoped(Effect.provide(program, instrumentedLayer(url))))
