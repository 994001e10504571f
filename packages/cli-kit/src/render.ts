/** Human sizes in powers of 1024, as PostgreSQL's pg_size_pretty. */
export const formatBytes = (bytes: number): string => {
  const units = ["bytes", "kB", "MB", "GB", "TB"]
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 10240 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${Math.round(value)} ${units[unit]}`
}

/** 1234567 → "1,234,567". */
export const formatCount = (n: number): string => n.toLocaleString("en-US")

/** A count with its noun: "1 batch", "2 batches", "10,000 API keys". */
export const countOf = (n: number, singular: string, plural = `${singular}s`): string =>
  `${formatCount(n)} ${n === 1 ? singular : plural}`

/** Colours only on a terminal, and never with NO_COLOR set to anything (no-color.org). */
export const colorsWanted = (): boolean =>
  process.stdout.isTTY === true && (process.env.NO_COLOR ?? "") === ""

export interface Column<T> {
  readonly key: keyof T & string
  readonly name: string
  readonly align?: "left" | "right" | undefined
}

/**
 * Renders a table with @oclif/table. Imported on first use: it loads React and Ink
 * (about 0.2 s), which commands that print no table, and `--json`, should not pay.
 */
export const renderTable = async <T extends Record<string, unknown>>(
  rows: ReadonlyArray<T>,
  columns: ReadonlyArray<Column<T>>,
  title?: string,
): Promise<string> => {
  const { makeTable } = await import("@oclif/table")
  return makeTable({
    data: [...rows],
    columns: columns.map((column) => ({
      key: column.key,
      name: column.name,
      horizontalAlignment: column.align ?? "left",
    })),
    title,
    borderStyle: "headers-only-with-underline",
    headerOptions: { formatter: (header: string) => header },
    overflow: "wrap",
    noStyle: !colorsWanted(),
  })
}
