import { histogramOf, parseExposition, sampleValue } from "@coderops/test-prometheus"
import { describe, expect, it } from "vitest"
import { expositionContentType, makeMetrics } from "../src/index.js"

describe("makeMetrics", () => {
  it("keeps the last value of a gauge per label set, and forgets every series on reset", async () => {
    const metrics = makeMetrics({ processMetrics: false })
    const size = metrics.gauge({
      name: "coderops_test_size_bytes",
      help: "Size.",
      labelNames: ["table"],
    })
    size.set({ table: "api_keys" }, 10)
    size.set({ table: "api_keys" }, 7)
    size.set({ table: "users" }, 3)
    let families = parseExposition(await metrics.exposition())
    expect(sampleValue(families, "coderops_test_size_bytes", { table: "api_keys" })).toBe(7)
    expect(sampleValue(families, "coderops_test_size_bytes", { table: "users" })).toBe(3)

    size.reset()
    size.set({ table: "users" }, 4)
    families = parseExposition(await metrics.exposition())
    expect(families.get("coderops_test_size_bytes")?.samples).toHaveLength(1)
    expect(sampleValue(families, "coderops_test_size_bytes", { table: "users" })).toBe(4)
  })

  it("reports unlabelled counters and gauges as 0 before their first update", async () => {
    const metrics = makeMetrics({ processMetrics: false })
    metrics.counter({ name: "coderops_test_events_total", help: "Events." })
    metrics.gauge({ name: "coderops_test_level", help: "Level." })
    const families = parseExposition(await metrics.exposition())
    expect(families.get("coderops_test_events_total")?.type).toBe("counter")
    expect(sampleValue(families, "coderops_test_events_total")).toBe(0)
    expect(families.get("coderops_test_level")?.type).toBe("gauge")
    expect(sampleValue(families, "coderops_test_level")).toBe(0)
  })

  it("returns the metric already declared under a name, so two declarations add up", async () => {
    const metrics = makeMetrics({ processMetrics: false })
    const spec = { name: "coderops_test_runs_total", help: "Runs.", labelNames: ["outcome"] }
    metrics.counter(spec).inc({ outcome: "ok" })
    metrics.counter(spec).inc({ outcome: "ok" }, 2)
    const families = parseExposition(await metrics.exposition())
    expect(sampleValue(families, "coderops_test_runs_total", { outcome: "ok" })).toBe(3)
  })

  it("exposes metrics declared after process metrics started, and process metrics only when asked", async () => {
    const withProcess = makeMetrics({ processMetrics: true })
    withProcess
      .histogram({ name: "coderops_test_seconds", help: "Time.", buckets: [0.1, 1] })
      .observe({}, 0.5)
    const families = parseExposition(await withProcess.exposition())
    expect(families.get("process_cpu_seconds_total")?.type).toBe("counter")
    expect(families.get("coderops_test_seconds")?.type).toBe("histogram")
    expect(histogramOf(families, "coderops_test_seconds")).toMatchObject({ count: 1, sum: 0.5 })

    const without = parseExposition(await makeMetrics({ processMetrics: false }).exposition())
    expect([...without.keys()].filter((name) => /^(process|nodejs)_/.test(name))).toEqual([])
    expect(withProcess.contentType).toBe(expositionContentType)
  })
})
