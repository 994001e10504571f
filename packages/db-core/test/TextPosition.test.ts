import { describe, expect, it } from "vitest"
import { lineAndColumnAt, lineAndColumnOfPosition } from "../src/index.js"

describe("text positions", () => {
  it("count lines and code points, from a UTF-16 index or PostgreSQL's 1-based position", () => {
    const text = "a😀b\ncd"
    const cases: ReadonlyArray<readonly [number, number, { line: number; column: number }]> = [
      [0, 1, { line: 1, column: 1 }],
      [3, 3, { line: 1, column: 3 }],
      [6, 6, { line: 2, column: 2 }],
    ]
    for (const [index, position, expected] of cases) {
      expect(lineAndColumnAt(text, index)).toEqual(expected)
      expect(lineAndColumnOfPosition(text, position)).toEqual(expected)
    }
    expect(lineAndColumnOfPosition(text, 99)).toEqual({ line: 2, column: 3 })
  })
})
