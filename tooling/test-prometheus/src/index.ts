/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests. The npm
 * parsers tried (parse-prometheus-text-format 1.1.1, exposition 1.2.0) drop or mangle the
 * labels of labelled histograms, so tests could not trust them. This one follows the
 * format's grammar, rejects what Prometheus would reject, and checks histogram invariants.
 */

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped"

export type LabelSet = Readonly<Record<string, string>>

export interface Sample {
  /** The sample's own name: `x`, or `x_bucket`/`x_sum`/`x_count` in histograms. */
  readonly name: string
  readonly labels: LabelSet
  readonly value: number
  readonly timestamp?: number | undefined
}

export interface HistogramSeries {
  readonly labels: LabelSet
  /** Cumulative counts by upper bound, `+Inf` included, ascending. */
  readonly buckets: ReadonlyArray<{ readonly le: number; readonly count: number }>
  readonly sum: number
  readonly count: number
}

export interface Family {
  readonly name: string
  readonly type: MetricType
  readonly help: string | undefined
  readonly samples: ReadonlyArray<Sample>
}

export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`)
  }
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const types = new Set<MetricType>(["counter", "gauge", "histogram", "summary", "untyped"])

/** As Go's strconv.ParseFloat, which Prometheus uses: Inf/NaN in any case. */
const parseValue = (text: string, line: number): number => {
  const lower = text.toLowerCase()
  if (["+inf", "inf", "+infinity", "infinity"].includes(lower)) return Number.POSITIVE_INFINITY
  if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY
  if (lower === "nan") return Number.NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    throw new ExpositionError(line, `"${text}" is not a number`)
  }
  return Number(text)
}

const unescapeText = (text: string, allowQuote: boolean, line: number) =>
  text.replace(/\\(.)/g, (_, c: string) => {
    if (c === "\\") return "\\"
    if (c === "n") return "\n"
    if (c === '"' && allowQuote) return '"'
    throw new ExpositionError(line, `invalid escape \\${c}`)
  })

/** Reads `{a="x",b="y"}` starting at `start`; returns the labels and the index after `}`. */
const parseLabels = (text: string, start: number, line: number): [LabelSet, number] => {
  const labels: Record<string, string> = {}
  let i = start + 1
  const skipSpaces = () => {
    while (text[i] === " " || text[i] === "\t") i++
  }
  for (;;) {
    skipSpaces()
    if (text[i] === "}") return [labels, i + 1]
    const nameStart = i
    while (i < text.length && /[a-zA-Z0-9_]/.test(text[i]!)) i++
    const name = text.slice(nameStart, i)
    if (!labelName.test(name)) throw new ExpositionError(line, `invalid label name "${name}"`)
    skipSpaces()
    if (text[i] !== "=") throw new ExpositionError(line, `expected = after label ${name}`)
    i++
    skipSpaces()
    if (text[i] !== '"') throw new ExpositionError(line, `expected " to open the value of ${name}`)
    i++
    let raw = ""
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") {
        raw += text.slice(i, i + 2)
        i += 2
      } else {
        raw += text[i]
        i++
      }
    }
    if (text[i] !== '"') throw new ExpositionError(line, `unterminated value of label ${name}`)
    i++
    if (name in labels) throw new ExpositionError(line, `label ${name} given twice`)
    labels[name] = unescapeText(raw, true, line)
    skipSpaces()
    if (text[i] === ",") {
      i++
      continue
    }
    if (text[i] === "}") return [labels, i + 1]
    throw new ExpositionError(line, `expected , or } after label ${name}`)
  }
}

const familyOf = (sampleName: string, families: Map<string, { type: MetricType }>) => {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sampleName.endsWith(suffix)) continue
    const base = sampleName.slice(0, -suffix.length)
    const type = families.get(base)?.type
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base
  }
  return sampleName
}

const seriesKey = (name: string, labels: LabelSet) =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(",")}}`

export const parseExposition = (text: string): Map<string, Family> => {
  const families = new Map<
    string,
    { name: string; type: MetricType; help: string | undefined; samples: Array<Sample> }
  >()
  const seen = new Set<string>()
  const closed = new Set<string>()
  let current: string | undefined
  const open = (name: string, line: number) => {
    if (current !== name) {
      if (closed.has(name)) throw new ExpositionError(line, `lines of ${name} are not contiguous`)
      if (current !== undefined) closed.add(current)
      current = name
    }
    let family = families.get(name)
    if (family === undefined) {
      family = { name, type: "untyped", help: undefined, samples: [] }
      families.set(name, family)
    }
    return family
  }

  text.split("\n").forEach((raw, index) => {
    const line = index + 1
    const content = raw.trim()
    if (content === "") return
    if (content.startsWith("#")) {
      const match = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(content)
      if (!match) return // plain comment
      const [, keyword, name, rest = ""] = match
      if (!metricName.test(name!)) throw new ExpositionError(line, `invalid metric name "${name}"`)
      const family = open(name!, line)
      if (keyword === "HELP") {
        if (family.help !== undefined) throw new ExpositionError(line, `second HELP for ${name}`)
        family.help = unescapeText(rest, false, line)
      } else {
        const type = rest.trim() as MetricType
        if (!types.has(type)) throw new ExpositionError(line, `unknown type "${rest}"`)
        if (family.samples.length > 0)
          throw new ExpositionError(line, `TYPE of ${name} after its samples`)
        if (family.type !== "untyped") throw new ExpositionError(line, `second TYPE for ${name}`)
        family.type = type
      }
      return
    }
    let i = 0
    while (i < content.length && /[a-zA-Z0-9_:]/.test(content[i]!)) i++
    const name = content.slice(0, i)
    if (!metricName.test(name)) throw new ExpositionError(line, `invalid metric name "${name}"`)
    let labels: LabelSet = {}
    if (content[i] === "{") [labels, i] = parseLabels(content, i, line)
    const fields = content.slice(i).trim().split(/\s+/)
    if (fields.length < 1 || fields.length > 2 || fields[0] === "") {
      throw new ExpositionError(line, "expected a value and an optional timestamp")
    }
    const family = open(familyOf(name, families), line)
    const key = seriesKey(name, labels)
    if (seen.has(key)) throw new ExpositionError(line, `duplicate series ${key}`)
    seen.add(key)
    if (
      family.type === "histogram" &&
      name === `${family.name}_bucket` &&
      labels.le === undefined
    ) {
      throw new ExpositionError(line, `${name} without an le label`)
    }
    family.samples.push({
      name,
      labels,
      value: parseValue(fields[0]!, line),
      timestamp: fields[1] === undefined ? undefined : Number(fields[1]),
    })
  })
  for (const family of families.values()) {
    if (family.type === "histogram") histogramSeries(family)
  }
  return families
}

/** The series of a histogram family, checked: sorted cumulative buckets, `+Inf` equal to count. */
export const histogramSeries = (family: Family): ReadonlyArray<HistogramSeries> => {
  if (family.type !== "histogram")
    throw new Error(`${family.name} is a ${family.type}, not a histogram`)
  const groups = new Map<
    string,
    {
      labels: LabelSet
      buckets: Array<{ le: number; count: number }>
      sum?: number
      count?: number
    }
  >()
  for (const sample of family.samples) {
    const { le, ...labels } = sample.labels
    const key = seriesKey("", labels)
    const group = groups.get(key) ?? { labels, buckets: [] }
    groups.set(key, group)
    if (sample.name.endsWith("_bucket"))
      group.buckets.push({ le: parseValue(le!, 0), count: sample.value })
    else if (sample.name.endsWith("_sum")) group.sum = sample.value
    else if (sample.name.endsWith("_count")) group.count = sample.value
  }
  return [...groups.values()].map((group) => {
    const where = `${family.name}${seriesKey("", group.labels)}`
    const buckets = [...group.buckets].sort((a, b) => a.le - b.le)
    const last = buckets.at(-1)
    if (last?.le !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no +Inf bucket`)
    if (group.sum === undefined || group.count === undefined)
      throw new Error(`${where}: _sum or _count missing`)
    if (last.count !== group.count)
      throw new Error(`${where}: +Inf bucket ${last.count} ≠ count ${group.count}`)
    buckets.forEach((bucket, i) => {
      if (i > 0 && bucket.count < buckets[i - 1]!.count)
        throw new Error(`${where}: buckets are not cumulative`)
    })
    return { labels: group.labels, buckets, sum: group.sum, count: group.count }
  })
}

/** The one sample of a counter/gauge family whose labels include `labels`. */
export const sampleValue = (
  families: Map<string, Family>,
  name: string,
  labels: LabelSet = {},
): number | undefined =>
  families
    .get(name)
    ?.samples.find(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    )?.value

/** The histogram series of `name` whose labels include `labels`. */
export const histogramOf = (
  families: Map<string, Family>,
  name: string,
  labels: LabelSet = {},
): HistogramSeries | undefined => {
  const family = families.get(name)
  if (family === undefined) return undefined
  return histogramSeries(family).find((series) =>
    Object.entries(labels).every(([k, v]) => series.labels[k] === v),
  )
}
