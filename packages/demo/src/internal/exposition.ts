/** One series of the exporter, as the summary shows it. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/**
 * The series of a Prometheus text exposition, only coderops' own and without histogram
 * buckets: the readings a summary shows, not the distributions (the text has those).
 */
export const samplesOf = (exposition: string): ReadonlyArray<Sample> =>
  exposition.split("\n").flatMap((line): Array<Sample> => {
    if (!line.startsWith("coderops_")) return []
    // The value is the last field: label values may hold spaces.
    const cut = line.lastIndexOf(" ")
    const series = line.slice(0, cut)
    const brace = series.indexOf("{")
    const name = brace === -1 ? series : series.slice(0, brace)
    if (name.endsWith("_bucket")) return []
    const labels: Record<string, string> = {}
    if (brace !== -1)
      for (const [, key, value] of series.slice(brace).matchAll(labelPair))
        labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c))
    return [{ name, labels, value: Number(line.slice(cut + 1)) }]
  })
