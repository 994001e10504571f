import type { DbShape, TableSize } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import type { Hit } from "./hits.js"

/** Above this share of a table's rows, a filtered UPDATE or DELETE counts as touching most. */
const mostRows = 0.5

interface PlanNode {
  readonly "Plan Rows"?: number
  readonly Plans?: ReadonlyArray<PlanNode>
}

/**
 * The planner's estimate of the rows a statement touches, from the real database: EXPLAIN
 * (never ANALYZE) in a read-only transaction, so nothing runs. Undefined when it cannot
 * be planned there (it names a column an earlier pending migration adds).
 */
const estimatedRows = (real: DbShape, text: string) =>
  real
    .transaction(
      "LintExplain",
      real.query<{ "QUERY PLAN": ReadonlyArray<{ Plan: PlanNode }> }>(
        "LintExplainStatement",
        `EXPLAIN (FORMAT JSON) ${text}`,
      ),
      { readOnly: true },
    )
    .pipe(
      Effect.map((rows) => {
        const plan = rows[0]?.["QUERY PLAN"][0]?.Plan
        // ModifyTable reports no rows of its own; its input does.
        return plan?.Plans?.[0]?.["Plan Rows"] ?? plan?.["Plan Rows"]
      }),
      Effect.orElseSucceed(() => undefined),
    )

/**
 * Keeps a filtered UPDATE or DELETE only when the real database's planner estimates that it
 * touches most of its table's rows, and says how many; without a database, drops it.
 */
export const confirmFiltered = (
  real: DbShape | undefined,
  sizes: ReadonlyMap<string, TableSize>,
  hits: ReadonlyArray<Hit>,
) =>
  Effect.gen(function* () {
    const kept: Array<Hit> = []
    for (const hit of hits) {
      if (!hit.filtered) {
        kept.push(hit)
        continue
      }
      const total = sizes.get(hit.table ?? "")?.rowEstimate ?? 0
      if (real === undefined || total <= 0) continue
      const rows = yield* estimatedRows(real, hit.statement.text)
      if (rows === undefined || rows < total * mostRows) continue
      const share = Math.min(100, Math.round((rows / total) * 100))
      kept.push({
        ...hit,
        message: (label) =>
          `${hit.message(label)}: about ${share}% of them by the planner's estimate`,
      })
    }
    return kept
  })
