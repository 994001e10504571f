import { describe, expect, it } from "vitest"
import { printable, queryLine } from "../src/index.js"

describe("queryLine", () => {
  it("puts a statement on one line, its whitespace runs one space", () => {
    expect(queryLine("  ALTER TABLE things\n\tADD COLUMN n int;\r\n")).toBe(
      "ALTER TABLE things ADD COLUMN n int;",
    )
  })

  it("cuts after `max` characters, the cut marked", () => {
    const long = `SELECT ${"x, ".repeat(100)}1`
    expect(queryLine(long)).toHaveLength(120)
    expect(queryLine(long).endsWith("…")).toBe(true)
    expect(queryLine(long, 100)).toBe(`${long.slice(0, 99)}…`)
    expect(queryLine("SELECT 1", 8)).toBe("SELECT 1")
  })
})

describe("printable", () => {
  it("escapes control characters and bidirectional overrides, nothing else", () => {
    expect(printable("a\nb\x1b[2J\u202eé")).toBe("a\\nb\\x1b[2J\\u202eé")
  })
})
