import { describe, expect, it } from "vitest"
import { SqlParseError, splitStatements } from "../src/internal/statements.js"

/** The statements' texts and where they start, without the indexes. */
const outline = async (sql: string) =>
  (await splitStatements(sql)).map(({ text, line, column }) => ({ text, line, column }))

describe("splitStatements", () => {
  it("splits a migration with comments between statements", async () => {
    const sql = [
      "-- Adds the users table.",
      "CREATE TABLE users (id uuid PRIMARY KEY); -- trailing",
      "",
      "/* a block",
      "   comment; with a semicolon */",
      "  CREATE INDEX users_id ON users (id);",
      "COMMENT ON TABLE users IS 'people; not robots'; SELECT 1;",
      "",
    ].join("\n")
    const statements = await splitStatements(sql)
    expect(statements.map(({ text, line, column }) => ({ text, line, column }))).toEqual([
      { text: "CREATE TABLE users (id uuid PRIMARY KEY)", line: 2, column: 1 },
      { text: "CREATE INDEX users_id ON users (id)", line: 6, column: 3 },
      { text: "COMMENT ON TABLE users IS 'people; not robots'", line: 7, column: 1 },
      { text: "SELECT 1", line: 7, column: 49 },
    ])
    for (const statement of statements) {
      expect(sql.slice(statement.start, statement.end)).toBe(statement.text)
    }
  })

  it("keeps a dollar-quoted function body with semicolons in one statement", async () => {
    const body = `CREATE FUNCTION touch() RETURNS trigger AS $body$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$body$ LANGUAGE plpgsql`
    const sql = `${body};\nCREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();\n`
    expect(await outline(sql)).toEqual([
      { text: body, line: 1, column: 1 },
      {
        text: "CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch()",
        line: 7,
        column: 1,
      },
    ])
  })

  it("maps byte offsets to string indexes after multi-byte characters", async () => {
    const sql = "-- café 漢字 😀\n/* é */ SELECT 'é漢字😀'; SELECT 2;"
    const statements = await splitStatements(sql)
    expect(
      statements.map(({ text, start, end, line, column }) => ({ text, start, end, line, column })),
    ).toEqual([
      {
        text: "SELECT 'é漢字😀'",
        start: sql.indexOf("SELECT"),
        end: sql.indexOf(";"),
        line: 2,
        column: 9,
      },
      {
        text: "SELECT 2",
        start: sql.lastIndexOf("SELECT"),
        end: sql.length - 1,
        line: 2,
        // Columns count code points: 😀 is one column though two UTF-16 units.
        column: 24,
      },
    ])
  })

  it("includes a final statement without a semicolon, without its trailing comment", async () => {
    expect(await outline("SELECT 1;\n\nSELECT 2 -- no semicolon\n")).toEqual([
      { text: "SELECT 1", line: 1, column: 1 },
      { text: "SELECT 2", line: 3, column: 1 },
    ])
  })

  it("ignores empty statements", async () => {
    expect(await outline(";; SELECT 1;;\n;")).toEqual([{ text: "SELECT 1", line: 1, column: 4 }])
  })

  it("returns nothing for empty, whitespace-only and comment-only text", async () => {
    expect(await splitStatements("")).toEqual([])
    expect(await splitStatements("  \n\t\n")).toEqual([])
    expect(await splitStatements("-- only a comment\n/* and a block */\n")).toEqual([])
  })

  it("reports a syntax error with its line and column", async () => {
    const error = await splitStatements("SELECT 1;\n-- é漢字\n  SELEC 2;").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SqlParseError)
    expect(error).toMatchObject({
      _tag: "SqlParseError",
      message: 'syntax error at or near "SELEC"',
      line: 3,
      column: 3,
    })
  })

  it("reports an unterminated dollar quote and the end of input", async () => {
    await expect(splitStatements("SELECT 1;\nSELECT $$ open")).rejects.toMatchObject({
      message: expect.stringContaining("unterminated dollar-quoted string"),
      line: 2,
      column: 8,
    })
    await expect(splitStatements("SELECT (1")).rejects.toMatchObject({
      message: "syntax error at end of input",
      line: 1,
      column: 10,
    })
  })

  it("names the relations each statement touches, as the parser folds them", async () => {
    const statements = await splitStatements(
      `ALTER TABLE api_keys ADD COLUMN scopes text[];
       UPDATE "API_Keys" k SET scopes = '{}' FROM users u WHERE u.id = k.user_id;
       CREATE INDEX CONCURRENTLY idx ON coder.workspaces (owner_id);
       CREATE TYPE mood AS ENUM ('ok');`,
    )
    expect(statements.map((statement) => [...statement.relations].sort())).toEqual([
      ["api_keys"],
      ["API_Keys", "users"],
      ["coder.workspaces"],
      [],
    ])
  })
})
