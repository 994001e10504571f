import { describe, expect, it } from "vitest"
import type { ColumnInfo } from "../src/internal/faithful/catalog.js"
import { histogram, parseTime, typeValue } from "../src/internal/faithful/values.js"

const column = (type: string, category = "S"): ColumnInfo => ({
  name: "c",
  type,
  category,
  notNull: true,
  hasDefault: false,
  generated: false,
  enumLabels: null,
  maxLength: null,
})

describe("values between histogram bounds", () => {
  it("reads times as PostgreSQL prints them in UTC, years below 100 included", () => {
    expect(new Date(parseTime("2024-02-29 23:59:59.5+02")).toISOString()).toBe(
      "2024-02-29T21:59:59.500Z",
    )
    expect(new Date(parseTime("0001-01-01 00:00:00")).toISOString()).toBe(
      "0001-01-01T00:00:00.000Z",
    )
    expect(parseTime("infinity")).toBeNaN()
  })

  it("interpolates numbers and times, and keeps other bounds as they are", () => {
    const at = histogram(column("timestamptz", "D"), [
      "2026-01-01 00:00:00+00",
      "2026-01-03 00:00:00+00",
    ])
    expect(at(0.5, 0, 10)).toBe("2026-01-02 00:00:00.000+00")
    expect(histogram(column("int4", "N"), ["0", "10", "1000"])(0.25, 0, 10)).toBe("5")
    expect(histogram(column("inet", "I"), ["10.0.0.1", "10.0.0.9"])(0.2, 0, 10)).toBe("10.0.0.1")
    // More distinct text values than bounds: made distinct, near their bound.
    const text = histogram(column("text"), ["token-1", "token-9"])
    expect(text(0.1, 1, 100)).not.toBe(text(0.1, 2, 100))
    expect(text(0.1, 1, 100).startsWith("token-1")).toBe(true)
    const secret = histogram(column("bytea", "U"), ["\\x0011223344556677", "\\xff11223344556677"])
    expect(secret(0.1, 1, 100)).toMatch(/^\\x00112233[0-9a-f]{8}$/)
    expect(secret(0.1, 1, 100)).not.toBe(secret(0.1, 2, 100))
    // An infinite bound cannot be interpolated: the bound itself.
    expect(
      histogram(column("timestamptz", "D"), ["-infinity", "2026-01-01 00:00:00+00"])(0.1, 0, 5),
    ).toBe("-infinity")
  })

  it("makes distinct text without statistics, distinct even lower-cased", () => {
    const values = new Set(
      Array.from({ length: 10_000 }, (_, k) => typeValue(column("text"), k, 0, 12)!.toLowerCase()),
    )
    expect(values.size).toBe(10_000)
  })
})
