// One table's generated rows as COPY text, each row checked against the unique indexes
// that construction alone does not satisfy and the check constraints; a row that breaks
// one is drawn again, and left out after a few tries.
import { CopyWriter } from "../CopyWriter.js"
import { copyText } from "../copyText.js"
import type { ColumnModel } from "./columnModel.js"
import type { Predicate, RowValues } from "./predicate.js"

export interface TrackedUnique {
  readonly name: string
  readonly columns: ReadonlyArray<string>
  /** The partial index's WHERE; undefined: every row. */
  readonly applies: Predicate | undefined
  readonly seen: Set<string>
}

export interface CheckedConstraint {
  readonly name: string
  readonly test: Predicate
  /** The columns it reads: drawn again when it fails. */
  readonly columns: ReadonlyArray<string>
}

export interface TableRowsPlan {
  readonly models: ReadonlyArray<ColumnModel>
  readonly uniques: ReadonlyArray<TrackedUnique>
  readonly checks: ReadonlyArray<CheckedConstraint>
  /** Columns whose values children's foreign keys draw from. */
  readonly kept: ReadonlyArray<string>
}

/** What one stream of rows did: rows written and left out, and the kept columns' values. */
export interface RowsOutcome {
  written: number
  skipped: number
  readonly kept: Map<string, Array<string | null>>
}

export const newOutcome = (plan: TableRowsPlan): RowsOutcome => ({
  written: 0,
  skipped: 0,
  kept: new Map(plan.kept.map((column) => [column, []])),
})

/** Draws of a row before it is left out. */
const tries = 12

const escapable = /[\\\t\n\r]/
const tab = 9
const newline = 10
const nullText = Buffer.from("\\N", "latin1")

/** The columns of the first check or unique index the row breaks; undefined: none. */
const brokenColumns = (
  plan: TableRowsPlan,
  row: RowValues,
  keys: Array<string | undefined>,
): ReadonlyArray<string> | undefined => {
  for (const check of plan.checks) if (!check.test(row)) return check.columns
  for (let u = 0; u < plan.uniques.length; u++) {
    const unique = plan.uniques[u]!
    keys[u] = undefined
    if (unique.applies !== undefined && !unique.applies(row)) continue
    const parts = unique.columns.map((column) => row.get(column) ?? null)
    // NULLs are distinct from each other: such a row never collides.
    if (parts.some((part) => part === null)) continue
    const key = parts.join("\u0000")
    if (unique.seen.has(key)) return unique.columns
    keys[u] = key
  }
  return undefined
}

/** Draws a column again, with the columns linked to it (one foreign key's) alike. */
const redraw = (
  models: ReadonlyArray<ColumnModel>,
  index: ReadonlyMap<string, number>,
  column: string,
  values: Array<string | null>,
  i: number,
  salt: number,
) => {
  const c = index.get(column)
  if (c === undefined) return
  for (const name of models[c]!.linked ?? [column]) {
    const l = index.get(name)
    if (l !== undefined) values[l] = models[l]!.draw(i, salt)
  }
}

/** Rows [from, to) as COPY text chunks; `outcome` is filled as they are written. */
export function* tableRowChunks(
  plan: TableRowsPlan,
  from: number,
  to: number,
  outcome: RowsOutcome,
): Generator<Buffer> {
  const models = plan.models.filter((model) => !model.omit)
  const names = models.map((model) => model.column.name)
  const needsRow = plan.uniques.length > 0 || plan.checks.length > 0
  const keys: Array<string | undefined> = new Array(plan.uniques.length)
  const values: Array<string | null> = new Array(models.length)
  const kept = plan.kept.map(
    (column) => [names.indexOf(column), outcome.kept.get(column)!] as const,
  )
  const out = new CopyWriter()
  const index = new Map(names.map((name, c) => [name, c]))
  // The current row, read by name: one object for every row.
  const row: RowValues = {
    get: (name) => {
      const c = index.get(name)
      return c === undefined ? undefined : values[c]
    },
  }
  for (let i = from; i < to; i++) {
    for (let c = 0; c < models.length; c++) values[c] = models[c]!.draw(i, 0)
    let accepted = !needsRow
    for (let salt = 1; !accepted; salt++) {
      const broken = brokenColumns(plan, row, keys)
      if (broken === undefined) accepted = true
      else if (salt === tries) break
      // Only the columns of what broke are drawn again: the others keep their shape.
      else for (const column of broken) redraw(models, index, column, values, i, salt)
    }
    if (!accepted) {
      outcome.skipped++
      continue
    }
    for (let u = 0; u < plan.uniques.length; u++) {
      const key = keys[u]
      if (key !== undefined) plan.uniques[u]!.seen.add(key)
    }
    for (const [c, into] of kept) into.push(c >= 0 ? values[c]! : null)
    for (let c = 0; c < models.length; c++) {
      if (c > 0) out.byte(tab)
      const value = values[c]!
      if (value === null) out.bytes(nullText)
      // Most values need no escaping: test before replacing.
      else out.text(escapable.test(value) ? copyText(value) : value)
    }
    out.byte(newline)
    outcome.written++
    if (out.full) yield out.take()
  }
  const rest = out.take()
  if (rest.length > 0) yield rest
}
