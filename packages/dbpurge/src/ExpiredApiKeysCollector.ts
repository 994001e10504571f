import { Db, withRequiredTables } from "@coderops/db-core"
import { type Collector, Metrics } from "@coderops/metrics"
import * as Effect from "effect/Effect"

/**
 * The planner's estimate of API keys expired for more than 7 days: what Coder's 000371 used
 * to carry along, and what a purge before the upgrade removes. EXPLAIN reads statistics
 * only: api_keys has no index on expires_at, and counting would scan the table.
 */
export const expiredApiKeysCollector: Collector = {
  name: "api_keys_expired",
  collect: Effect.gen(function* () {
    const db = yield* Db
    const metrics = yield* Metrics
    const [plan] = yield* db.query<{ "QUERY PLAN": Array<{ Plan: { "Plan Rows": number } }> }>(
      "EstimateExpiredApiKeys",
      "EXPLAIN (FORMAT JSON) SELECT 1 FROM api_keys WHERE expires_at < now() - interval '7 days'",
    )
    metrics
      .gauge({
        name: "coderops_api_keys_expired_7d_estimate",
        help: "Planner estimate of api_keys rows expired for more than 7 days (from statistics; no scan).",
      })
      .set({}, plan?.["QUERY PLAN"][0]?.Plan["Plan Rows"] ?? 0)
  }).pipe(withRequiredTables(["api_keys"])),
}
