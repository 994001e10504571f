// The cost of query instrumentation: the same loop of trivial named queries through one
// Db, with and without the metrics observer on db-core's query hook, alternating blocks.
import { Db } from "@coderops/db-core"
import { makeMetrics, queryMetricsObserver } from "@coderops/metrics"
import * as Effect from "effect/Effect"
import { comparePair, machine, withBenchServer } from "./harness.js"

const rounds = Number(process.env.BENCH_ROUNDS ?? 41)
const queriesPerBlock = Number(process.env.BENCH_QUERIES ?? 2000)

await withBenchServer(async ({ settings }) => {
  const result = await Effect.runPromise(
    Effect.provide(
      Effect.gen(function* () {
        const db = yield* Db
        const metrics = makeMetrics({ processMetrics: false })
        const observer = queryMetricsObserver(metrics)
        // Ten statement names, as a real command has, so the label cache sees several series.
        const block = Effect.forEach(
          Array.from({ length: queriesPerBlock }, (_, i) => i),
          (i) => db.query(`Trivial${i % 10}`, "SELECT 1"),
          { discard: true },
        )
        const timed = (instrumented: boolean) => async () => {
          const remove = instrumented ? db.addObserver(observer) : () => true
          const started = performance.now()
          await Effect.runPromise(block)
          const elapsed = (performance.now() - started) / 1000
          remove()
          return elapsed
        }
        return yield* Effect.promise(() =>
          comparePair(
            { name: "instrumented", run: timed(true) },
            { name: "bare", run: timed(false) },
            {
              rounds,
              warmup: 2,
            },
          ),
        )
      }),
      Db.layerFrom({ ...settings, poolSize: 1 }),
    ),
  )
  console.log(
    `machine: ${machine()}; ${rounds} rounds of ${queriesPerBlock} queries per side, alternating, medians`,
  )
  console.log("| side | median per block | per query |")
  console.log("|---|---|---|")
  for (const side of [result.a, result.b]) {
    console.log(
      `| ${side.name} | ${side.median.toFixed(3)} s | ${((side.median / queriesPerBlock) * 1e6).toFixed(1)} µs |`,
    )
  }
  const verdict = result.ratio <= 1.03 ? "met" : "MISSED"
  console.log(`ratio instrumented/bare: ${result.ratio.toFixed(3)} (target ≤ 1.03: ${verdict})`)
})
