import { ConnectionFailed, QueryFailed } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { locateError } from "../src/internal/locateFailure.js"

const failed = (fields: { line?: number; column?: number; statementIndex?: number }) =>
  new QueryFailed({
    query: "ApplyMigration",
    sqlState: "22012",
    message: "division by zero",
    ...fields,
  })

const locate = (sql: string, error: Parameters<typeof locateError>[1], lines = 0, statements = 0) =>
  Effect.runPromise(locateError(sql, error, { lines, statements }))

describe("locateError", () => {
  const sql = "-- two statements, then the failing one\nSELECT 1;\nSELECT 'a;b';\n  SELECT 1 / 0;\n"

  it("takes the server's position, less the lines sent ahead of the file", async () => {
    expect(await locate(sql, failed({ line: 5, column: 14 }), 1, 2)).toEqual({
      in: "file",
      line: 4,
      column: 14,
    })
    // A position past the file is in our statements after it.
    expect(await locate(sql, failed({ line: 9, column: 1 }), 1, 2)).toEqual({ in: "ours" })
  })

  it("else finds the statement the server was running from the count it completed", async () => {
    expect(await locate(sql, failed({ statementIndex: 4 }), 1, 2)).toEqual({
      in: "file",
      line: 4,
      column: 3,
    })
    expect(await locate(sql, failed({ statementIndex: 1 }), 1, 2)).toEqual({ in: "ours" })
    expect(await locate(sql, failed({ statementIndex: 5 }), 1, 2)).toEqual({ in: "ours" })
  })

  it("says unknown when the error names no statement, or the file does not parse", async () => {
    expect(await locate(sql, failed({}))).toEqual({ in: "unknown" })
    expect(
      await locate(
        sql,
        new ConnectionFailed({
          query: "ApplyMigration",
          target: "x",
          code: "57P01",
          message: "gone",
        }),
      ),
    ).toEqual({ in: "unknown" })
    expect(await locate("SELECT 1;\nSELEC 2;", failed({ statementIndex: 1 }))).toEqual({
      in: "unknown",
    })
  })
})
