// Values of one type as PostgreSQL's text input takes them: the k-th of a column's distinct
// values when no statistics say what they look like, and points between histogram bounds.
import { rowHash, uuid, word } from "../random.js"
import type { ColumnInfo } from "./catalog.js"

const base36 = (n: number, digits: number) => {
  let text = ""
  for (let d = 0; d < digits; d++) {
    text += "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36]
    n = Math.floor(n / 36)
  }
  return text
}

const hex8 = (w: number) => w.toString(16).padStart(8, "0")

/** Numeric types whose values lie on a line (interpolated between bounds). */
const numericTypes = new Set(["int2", "int4", "int8", "numeric", "float4", "float8", "oid"])
const integerTypes = new Set(["int2", "int4", "int8", "oid"])
const timeTypes = new Set(["timestamptz", "timestamp", "date"])
const textTypes = new Set(["text", "varchar", "bpchar", "name", "citext"])

/** Types `typeValue` can make values of; any other needs statistics or a default. */
export const supportsType = (column: ColumnInfo) =>
  numericTypes.has(column.type) ||
  timeTypes.has(column.type) ||
  textTypes.has(column.type) ||
  column.enumLabels !== null ||
  column.category === "A" ||
  ["uuid", "bool", "bytea", "inet", "cidr", "json", "jsonb", "interval"].includes(column.type)

/** Types whose `typeValue`s are distinct for distinct k (a unique column can be built from them). */
export const distinctByType = (column: ColumnInfo) =>
  numericTypes.has(column.type) ||
  timeTypes.has(column.type) ||
  textTypes.has(column.type) ||
  ["uuid", "bytea", "inet", "cidr"].includes(column.type)

/** Milliseconds since 1970 of a timestamp or date as PostgreSQL prints it in UTC/ISO. */
export const parseTime = (text: string): number => {
  const m =
    /^(\d{4,})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d):(\d\d)(\.\d+)?)?(?:([+-])(\d\d)(?::?(\d\d))?)?$/.exec(
      text,
    )
  if (m === null) return Number.NaN
  // Date.UTC reads years 0-99 as 1900-1999: set the year afterwards.
  const at = new Date(
    Date.UTC(
      2000,
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4] ?? 0),
      Number(m[5] ?? 0),
      Number(m[6] ?? 0),
      Math.round(Number(m[7] ?? 0) * 1000),
    ),
  )
  const utc = at.setUTCFullYear(Number(m[1]))
  const offset = m[8] === undefined ? 0 : (Number(m[9]) * 60 + Number(m[10] ?? 0)) * 60_000
  return m[8] === "-" ? utc + offset : utc - offset
}

const dates = new Map<number, string>()
const two = (n: number) => (n < 10 ? `0${n}` : String(n))
const msPerDay = 86_400_000

/** A time as timestamptz/date text in UTC, to the millisecond; each day's date cached. */
const formatTime = (type: string, time: number) => {
  const ms = Math.floor(time)
  const d = Math.floor(ms / msPerDay)
  let date = dates.get(d)
  if (date === undefined) {
    date = new Date(d * msPerDay).toISOString().slice(0, 10)
    if (dates.size < 100_000) dates.set(d, date)
  }
  if (type === "date") return date
  let rest = ms - d * msPerDay
  const h = Math.floor(rest / 3_600_000)
  rest -= h * 3_600_000
  const m = Math.floor(rest / 60_000)
  rest -= m * 60_000
  const s = Math.floor(rest / 1000)
  const milli = rest - s * 1000
  return `${date} ${two(h)}:${two(m)}:${two(s)}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}+00`
}

/**
 * The value at `position` (0..1) of the distribution histogram bounds describe:
 * interpolated for numbers and times; otherwise the bound nearest it, made distinct by `k`
 * for text and uuids when there are more distinct values than bounds. Bounds are parsed
 * once, here.
 */
export const histogram = (column: ColumnInfo, bounds: ReadonlyArray<string>) => {
  const numeric = numericTypes.has(column.type)
  const time = timeTypes.has(column.type)
  const points = bounds.map((bound) =>
    numeric ? Number(bound) : time ? parseTime(bound) : Number.NaN,
  )
  const integer = integerTypes.has(column.type)
  const text = textTypes.has(column.type)
  return (position: number, k: number, distinct: number): string => {
    const x = position * (bounds.length - 1)
    const b = Math.min(Math.floor(x), bounds.length - 2)
    const f = x - b
    const a = points[b]!
    const z = points[b + 1]!
    if (Number.isFinite(a) && Number.isFinite(z)) {
      const v = a + f * (z - a)
      if (time) return formatTime(column.type, v)
      return integer ? String(Math.floor(v)) : String(v)
    }
    const bound = f < 0.5 ? bounds[b]! : bounds[b + 1]!
    if (text && distinct > bounds.length) {
      const value = `${bound}${base36(k, 5)}`
      return column.maxLength === null ? value : value.slice(0, column.maxLength)
    }
    if (column.type === "uuid" && distinct > bounds.length) return uuid(0x1b873593, k)
    // A secret or hash: the bound's length, its last bytes made distinct.
    if (column.type === "bytea" && distinct > bounds.length && bound.length >= 10)
      return `${bound.slice(0, -8)}${hex8(rowHash(0x68e31da4, k))}`
    return bound
  }
}

/** A reference time for values made without statistics: 2026-01-01. */
const reference = Date.UTC(2026, 0, 1)

/**
 * The k-th distinct value of a column's type, made without statistics (`w`: a random word
 * for what need not be distinct). Text is about `width` bytes. undefined: no such value.
 */
export const typeValue = (column: ColumnInfo, k: number, w: number, width: number) => {
  const row = rowHash(0x5bd1e995, k)
  switch (column.type) {
    case "uuid":
      return uuid(0x27d4eb2f, k)
    case "bool":
      return k % 2 === 0 ? "t" : "f"
    case "int2":
      return String(k % 32_768)
    case "int4":
    case "oid":
      return String(k % 2_147_483_648)
    case "int8":
    case "numeric":
      return String(k)
    case "float4":
    case "float8":
      return String(k / 1000)
    case "timestamptz":
    case "timestamp":
    case "date":
      return formatTime(column.type, reference - (k % (3 * 365 * 86_400)) * 1000)
    case "interval":
      return `${k % 86_400} seconds`
    case "bytea":
      return `\\x${hex8(word(row, 0))}${hex8(word(row, 1))}${hex8(word(row, 2))}${hex8(word(row, 3))}`
    case "inet":
    case "cidr":
      return `10.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`
    case "json":
    case "jsonb":
      return "{}"
  }
  if (column.category === "A") return "{}"
  if (column.enumLabels !== null) return column.enumLabels[k % column.enumLabels.length]!
  if (textTypes.has(column.type)) {
    // Seven base-36 digits of a bijection of k: distinct, even lower-cased.
    let text = base36(rowHash(0x2545f491, k), 7)
    while (text.length < width - 1) text += base36(word(row, text.length) ^ w, 6)
    const length = Math.max(1, Math.min(width - 1, column.maxLength ?? Number.POSITIVE_INFINITY))
    return text.length > length && length >= 7 ? text.slice(0, length) : text
  }
  return undefined
}
