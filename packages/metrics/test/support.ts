import { type Db, parseDatabaseUrl } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { instrumentedDatabase, Metrics, QueryMetrics } from "../src/index.js"

/** Runs `program` against the database at `url`; `poolSize` as `metrics serve` sets it. */
export const run = <A, E>(
  url: string,
  program: Effect.Effect<A, E, Db | Metrics>,
  options?: { readonly poolSize?: number },
) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.provide(
        program,
        options?.poolSize === undefined
          ? instrumentedDatabase(url)
          : Layer.unwrap(
              Effect.map(parseDatabaseUrl(url, "explicit", { poolSize: options.poolSize }), (s) =>
                QueryMetrics.layerFor(s).pipe(Layer.provideMerge(Metrics.layerWithoutProcess)),
              ),
            ),
      ),
    ),
  )
