import { describe, expect, it } from "vitest"
import { lineAndColumnAt, lineAndColumnOfPosition } from "../src/index.js"

describe("lineAndColumnAt", () => {
  it("counts lines and code points up to a UTF-16 index", () => {
    const text = "a😀b\ncd"
    expect(lineAndColumnAt(text, 0)).toEqual({ line: 1, column: 1 })
    expect(lineAndColumnAt(text, 3)).toEqual({ line: 1, column: 3 })
    expect(lineAndColumnAt(text, 6)).toEqual({ line: 2, column: 2 })
  })
})

describe("lineAndColumnOfPosition", () => {
  it("turns PostgreSQL's 1-based code point position into a line and column", () => {
    const text = "a😀b\ncd"
    expect(lineAndColumnOfPosition(text, 1)).toEqual({ line: 1, column: 1 })
    expect(lineAndColumnOfPosition(text, 3)).toEqual({ line: 1, column: 3 })
    expect(lineAndColumnOfPosition(text, 6)).toEqual({ line: 2, column: 2 })
    expect(lineAndColumnOfPosition(text, 99)).toEqual({ line: 2, column: 3 })
  })
})
