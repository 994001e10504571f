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

/** Colours only on a terminal, and never with NO_COLOR set to anything (no-color.org). */
export const colorsWanted = (): boolean =>
  process.stdout.isTTY === true && (process.env.NO_COLOR ?? "") === ""

export interface Column<T> {
  readonly key: keyof T & string
  readonly name: string
  readonly align?: "left" | "right" | undefined
}

/** A cell on one line: a newline or tab inside a name would break the table's columns. */
const cellText = (value: unknown): string =>
  (value === undefined || value === null ? "" : String(value)).replace(/[\t\n\r]/g, " ")

/**
 * Renders rows as a plain-text table: an optional title, a header, one line per row,
 * columns padded to their widest cell (headers bold on a terminal). Linear in the cells:
 * 10,000 rows take milliseconds, where @oclif/table (React and Ink, laid out cell by cell)
 * took seconds for a few hundred and ran out of memory at 60,000.
 */
export const renderTable = <T extends Record<string, unknown>>(
  rows: ReadonlyArray<T>,
  columns: ReadonlyArray<Column<T>>,
  title?: string,
): string => {
  const cells = rows.map((row) => columns.map((column) => cellText(row[column.key])))
  // Widths in UTF-16 units, as padStart/padEnd count: exact for the names Coder allows.
  const widths = columns.map((column, i) =>
    cells.reduce((widest, line) => Math.max(widest, line[i]!.length), column.name.length),
  )
  const line = (values: ReadonlyArray<string>) =>
    `  ${values
      .map((value, i) =>
        columns[i]!.align === "right" ? value.padStart(widths[i]!) : value.padEnd(widths[i]!),
      )
      .join("   ")}`.trimEnd()
  const header = line(columns.map((column) => column.name))
  const out: Array<string> = title === undefined ? [] : [title, ""]
  out.push(colorsWanted() ? `\u001b[1m${header}\u001b[22m` : header)
  for (const values of cells) out.push(line(values))
  return `${out.join("\n")}\n`
}
