import { Db } from "@coderops/db-core"
import { useTestDatabase } from "@coderops/test-postgres"
import { histogramOf, parseExposition, sampleValue } from "@coderops/test-prometheus"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { Metrics } from "../src/index.js"
import { run } from "./support.js"

const database = useTestDatabase()

describe("query instrumentation", () => {
  it("times and counts every named statement and transaction, labelled by name only", async () => {
    const text = await run(
      database.url,
      Effect.gen(function* () {
        const db = yield* Db
        for (let i = 0; i < 3; i++) yield* db.query("GetAnswer", "SELECT $1::int AS answer", [42])
        yield* Effect.ignore(
          db.query("BrokenQuery", "SELECT * FROM missing_table WHERE id = $1", [7]),
        )
        yield* db.transaction(
          "WriteThings",
          db.execute("CreateThing", "CREATE TEMP TABLE thing (id int)"),
        )
        yield* Effect.ignore(db.transaction("FailThings", Effect.fail("no")))
        return yield* Metrics.use((metrics) => Effect.promise(metrics.exposition))
      }),
    )
    const families = parseExposition(text)
    expect(families.get("coderops_db_query_latencies_seconds")?.type).toBe("histogram")
    const answer = histogramOf(families, "coderops_db_query_latencies_seconds", {
      query: "GetAnswer",
    })
    expect(answer?.count).toBe(3)
    expect(answer?.sum).toBeGreaterThan(0)
    expect(answer?.buckets.map((b) => b.le)).toEqual([
      0.0005,
      0.001,
      0.0025,
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      10,
      Number.POSITIVE_INFINITY,
    ])

    expect(families.get("coderops_db_queries_total")?.type).toBe("counter")
    expect(
      sampleValue(families, "coderops_db_queries_total", { query: "GetAnswer", outcome: "ok" }),
    ).toBe(3)
    expect(
      sampleValue(families, "coderops_db_queries_total", {
        query: "BrokenQuery",
        outcome: "error",
      }),
    ).toBe(1)

    expect(
      histogramOf(families, "coderops_db_tx_duration_seconds", {
        tx: "WriteThings",
        outcome: "commit",
      })?.count,
    ).toBe(1)
    expect(
      histogramOf(families, "coderops_db_tx_duration_seconds", {
        tx: "FailThings",
        outcome: "rollback",
      })?.count,
    ).toBe(1)

    // Bounded labels: statement names and outcomes, never SQL text or parameters.
    expect(text).not.toContain("missing_table")
    expect(text).not.toContain("SELECT")
    for (const family of families.values()) {
      for (const sample of family.samples) {
        expect(
          Object.keys(sample.labels ?? {}).every((k) =>
            ["query", "outcome", "tx", "le"].includes(k),
          ),
        ).toBe(true)
      }
    }
  })

  it("exposes Node process metrics", async () => {
    const text = await Effect.runPromise(
      Effect.provide(
        Metrics.use((metrics) => Effect.promise(metrics.exposition)),
        Metrics.layer,
      ),
    )
    const families = parseExposition(text)
    expect(families.get("process_resident_memory_bytes")?.type).toBe("gauge")
    expect(sampleValue(families, "process_resident_memory_bytes")).toBeGreaterThan(1_000_000)
    expect(families.get("nodejs_eventloop_lag_seconds")?.type).toBe("gauge")
    expect(families.get("nodejs_gc_duration_seconds")?.type).toBe("histogram")
    expect(families.get("process_cpu_seconds_total")?.type).toBe("counter")
  })
})
