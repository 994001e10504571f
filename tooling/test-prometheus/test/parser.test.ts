import { describe, expect, it } from "vitest"
import { ExpositionError, histogramOf, parseExposition, sampleValue } from "../src/index.js"

const sample = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
something_weird{problem="division by zero"} +Inf -3982045

# HELP h A labelled histogram, le first as prom-client writes it.
# TYPE h histogram
h_bucket{le="0.1",query="A"} 0
h_bucket{le="1",query="A"} 1
h_bucket{le="+Inf",query="A"} 1
h_sum{query="A"} 0.2
h_count{query="A"} 1
h_bucket{le="0.1",query="B"} 2
h_bucket{le="+Inf",query="B"} 2
h_sum{query="B"} 0.1
h_count{query="B"} 2
`

describe("parseExposition", () => {
  it("reads counters, escapes, special values and labelled histograms", () => {
    const families = parseExposition(sample)
    expect(families.get("http_requests_total")?.type).toBe("counter")
    expect(sampleValue(families, "http_requests_total", { code: "400" })).toBe(3)
    expect(families.get("msdos_file_access_time_seconds")?.samples[0]?.labels).toEqual({
      path: "C:\\DIR\\FILE.TXT",
      error: 'Cannot find file:\n"FILE.TXT"',
    })
    expect(sampleValue(families, "something_weird")).toBe(Number.POSITIVE_INFINITY)
    expect(families.get("metric_without_timestamp_and_labels")?.type).toBe("untyped")
    expect(histogramOf(families, "h", { query: "A" })).toEqual({
      labels: { query: "A" },
      buckets: [
        { le: 0.1, count: 0 },
        { le: 1, count: 1 },
        { le: Number.POSITIVE_INFINITY, count: 1 },
      ],
      sum: 0.2,
      count: 1,
    })
    expect(histogramOf(families, "h", { query: "B" })?.count).toBe(2)
  })

  it.each([
    ["a bad metric name", "1bad 1"],
    ["a bad value", "x one"],
    ["an unterminated label value", 'x{a="b} 1'],
    ["a duplicate series", "x 1\nx 2"],
    ["a duplicate label", 'x{a="1",a="2"} 1'],
    ["an unknown type", "# TYPE x countr"],
    ["a TYPE after samples", "x 1\n# TYPE x gauge"],
    ["non-contiguous families", 'x 1\ny 1\nx{a="b"} 2'],
    ["a bad escape", 'x{a="\\t"} 1'],
  ])("rejects %s", (_, text) => {
    expect(() => parseExposition(text)).toThrow(ExpositionError)
  })

  it.each([
    ["a missing +Inf bucket", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1'],
    ["+Inf differing from count", '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2'],
    [
      "non-cumulative buckets",
      '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2',
    ],
  ])("rejects a histogram with %s", (_, text) => {
    expect(() => parseExposition(text)).toThrow(/h/)
  })
})
