// How each column's values are drawn: from its statistics (nulls, most common values at
// their frequencies, the rest spread over the histogram, about n_distinct of them), as
// distinct values (a single-column unique key), from the generated parent rows (a foreign
// key), or by type where nothing says more.
import type { ColumnStatistics } from "../../TableStatistics.js"
import { below, rowHash, word } from "../random.js"
import type { ColumnInfo, ForeignKey } from "./catalog.js"
import { distinctByType, histogram, supportsType, typeValue } from "./values.js"

/** From this redraw of a row on, a column draws only values besides the common ones. */
export const restFromSalt = 6

export type ColumnSource = "statistics" | "unique" | "foreign key" | "fallback" | "default"

export interface ColumnModel {
  readonly column: ColumnInfo
  readonly source: ColumnSource
  /** Why the column fell back (or what it could not honour). */
  readonly reason?: string | undefined
  /** Left out of COPY: the column's default fills it. */
  readonly omit: boolean
  /** Columns drawn together with this one (a foreign key's): all or none are drawn again. */
  readonly linked?: ReadonlyArray<string> | undefined
  /**
   * Row i's value; null is NULL. salt > 0: another draw for the same row, from salt
   * `restFromSalt` on never NULL nor a common value where other values exist.
   */
  readonly draw: (i: number, salt: number) => string | null
}

/** FNV-1a of a name, for a key per table and column. */
export const nameKey = (seed: number, name: string) => {
  let h = 0x811c9dc5
  for (let n = 0; n < name.length; n++) h = Math.imul(h ^ name.charCodeAt(n), 0x01000193)
  return rowHash((seed >>> 0) ^ Math.floor(seed / 2 ** 32), h >>> 0)
}

/** i ↦ i·A mod n: a bijection of [0, n) that scatters consecutive rows. */
const scatter = (i: number, n: number) => {
  const a = n % 40_503 === 0 ? 65_537 : 40_503
  return ((i % n) * a) % n
}

/** The shape the statistics give a column of `rows` rows. */
interface Shape {
  readonly nullFrac: number
  readonly values: ReadonlyArray<string>
  /** Cumulative fractions of rows up to and including each common value, after the nulls. */
  readonly cumulative: ReadonlyArray<number>
  /** Distinct values besides the common ones. */
  readonly rest: number
  /** The share of draws that end in [0, total): no rest means common values only. */
  readonly total: number
}

const shapeOf = (stats: ColumnStatistics, rows: number, notNull: boolean): Shape => {
  const nullFrac = notNull ? 0 : stats.nullFrac
  const cumulative: Array<number> = []
  let sum = nullFrac
  for (const freq of stats.mostCommonFreqs) {
    sum += freq
    cumulative.push(sum)
  }
  const distinct =
    stats.nDistinct > 0 ? stats.nDistinct : stats.nDistinct < 0 ? -stats.nDistinct * rows : rows
  const rest = Math.max(0, Math.round(distinct) - stats.mostCommonValues.length)
  const noRest = rest === 0 && stats.mostCommonValues.length > 0
  return {
    nullFrac,
    values: stats.mostCommonValues,
    cumulative,
    rest,
    total: noRest ? sum : 1,
  }
}

/** Which common value (index) a uniform u in [nullFrac, 1) hits, or -1 for the rest. */
const commonIndex = (shape: Shape, u: number) => {
  let lo = 0
  let hi = shape.cumulative.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (u < shape.cumulative[mid]!) hi = mid
    else lo = mid + 1
  }
  return lo < shape.cumulative.length ? lo : -1
}

export interface ModelContext {
  readonly seed: number
  readonly table: string
  readonly rows: number
  readonly stats: ColumnStatistics | undefined
  /** Why the table's statistics are missing altogether, if they are. */
  readonly tableReason: string | undefined
  /** A single-column unique index covers the column. */
  readonly unique: boolean
  /**
   * The foreign key the column belongs to, with the parent's generated values by column
   * (row-aligned), the statistics of its first column and whether any of its columns is
   * NOT NULL: every column of the key draws the same parent row from them.
   */
  readonly foreignKey:
    | {
        readonly key: ForeignKey
        readonly parent: ReadonlyMap<string, ReadonlyArray<string | null>>
        readonly firstStats: ColumnStatistics | undefined
        readonly notNull: boolean
      }
    | undefined
  /** The foreign key's columns are those of a unique index (one row per parent). */
  readonly oneToOne: boolean
}

const foreignKeyModel = (column: ColumnInfo, context: ModelContext): ColumnModel => {
  const { key, parent, firstStats: stats, notNull } = context.foreignKey!
  const values = parent.get(key.parentColumns[key.columns.indexOf(column.name)]!) ?? []
  const count = values.length
  // Every column of one foreign key draws the same parent row (or all are NULL): the hash
  // key is the constraint's, the shape that of its first column.
  const fk = nameKey(context.seed, `${context.table}.${key.name}`)
  const first = key.columns[0]!
  const shape = stats && shapeOf(stats, context.rows, notNull)
  const pick = (i: number, salt: number): number | null => {
    if (count === 0) return null
    const row = rowHash(fk, i)
    const u = (word(row, salt) / 2 ** 32) * (shape?.total ?? 1)
    if (shape === undefined || salt > 0) return below(word(row, salt + 16), count)
    if (u < shape.nullFrac) return null
    if (context.oneToOne) return scatter(i, count)
    const common = commonIndex(shape, u)
    if (common >= 0) return rowHash(fk ^ 0x55555555, common) % count
    const rest = Math.max(1, Math.min(shape.rest, count))
    return (scatter(i, rest) + shape.values.length) % count
  }
  return {
    column,
    source: "foreign key",
    linked: key.columns,
    reason:
      count === 0
        ? `no parent row in ${key.parent}`
        : first === column.name && stats === undefined
          ? "no statistics: parents drawn uniformly"
          : undefined,
    omit: false,
    draw: (i, salt) => {
      const index = pick(i, salt)
      return index === null ? null : (values[index] ?? null)
    },
  }
}

/** The model of one column, given what is known about it. */
export const columnModel = (column: ColumnInfo, context: ModelContext): ColumnModel => {
  if (context.foreignKey !== undefined) return foreignKeyModel(column, context)
  const key = nameKey(context.seed, `${context.table}.${column.name}`)
  const stats = context.stats
  const width = stats?.avgWidth ?? 8
  const supported = supportsType(column)
  if (context.unique && distinctByType(column)) {
    const nullFrac = column.notNull ? 0 : (stats?.nullFrac ?? 0)
    return {
      column,
      source: "unique",
      omit: false,
      draw: (i) => {
        const row = rowHash(key, i)
        return word(row, 0) / 2 ** 32 < nullFrac
          ? null
          : (typeValue(column, i, word(row, 1), width) ?? null)
      },
    }
  }
  const shape = stats && shapeOf(stats, context.rows, column.notNull)
  // A column that is all NULL needs no values to be faithful.
  const hasValues =
    stats !== undefined &&
    (stats.mostCommonValues.length > 0 || stats.histogramBounds.length >= 2 || stats.nullFrac >= 1)
  const noValuesReason =
    stats === undefined
      ? (context.tableReason ?? "no statistics (pg_stats has no row for the column)")
      : "statistics hold no values (no common values, no histogram)"
  if (!supported && (shape === undefined || (!hasValues && shape.nullFrac < 1))) {
    if (column.hasDefault || !column.notNull)
      return {
        column,
        source: "default",
        reason: `${noValuesReason}; type ${column.type} has no generator: ${column.hasDefault ? "its default" : "NULL"}`,
        omit: column.hasDefault,
        draw: () => null,
      }
  }
  const bounds = stats?.histogramBounds ?? []
  const between = bounds.length >= 2 ? histogram(column, bounds) : undefined
  const restValue = (k: number, w: number, rest: number) =>
    between !== undefined
      ? between((k + 0.5) / rest, k, rest)
      : (typeValue(column, k, w, width) ?? null)
  const distinctFallback = Math.max(1, context.rows)
  return {
    column,
    source: hasValues ? "statistics" : "fallback",
    reason: hasValues ? undefined : noValuesReason,
    omit: false,
    draw: (i, salt) => {
      const row = rowHash(key, i)
      const w = word(row, salt)
      if (shape === undefined) {
        // Type-based: distinct per row, or random on a redraw.
        return restValue(salt === 0 ? scatter(i, distinctFallback) : w, w, distinctFallback)
      }
      const u = (w / 2 ** 32) * shape.total
      // Late redraws keep to the rarer values: a common one may be all that collides.
      const late = salt >= restFromSalt && shape.rest > 0
      if (!late && u < shape.nullFrac) return null
      const common = late ? -1 : commonIndex(shape, u)
      if (common >= 0) return shape.values[common]!
      const rest = Math.max(1, shape.rest)
      const k = salt === 0 ? scatter(i, rest) : below(word(row, salt + 16), rest)
      return restValue(k, w, rest)
    },
  }
}
