import { indexOfCodePoint, lineAndColumnAt, textPositions } from "@coderops/db-core"
import * as Data from "effect/Data"
import type { Node } from "libpg-query"

/** One statement of a SQL text, as PostgreSQL's own parser splits it. */
export interface Statement {
  /** The statement without surrounding comments, whitespace or its terminating `;`. */
  readonly text: string
  /** UTF-16 index into the whole text of the statement's first character. */
  readonly start: number
  /** UTF-16 index just past the statement's last character. */
  readonly end: number
  /** 1-based line of the statement's first character. */
  readonly line: number
  /** 1-based column of that character, counting code points as PostgreSQL does. */
  readonly column: number
  /** BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...: the statement controls the transaction. */
  readonly transactionControl: boolean
  /** The parser's syntax tree of the statement with its type as key (libpg-query's JSON form). */
  readonly tree: Node | undefined
  /**
   * The relations the statement names (tables, views, sequences, CTE names too), as the
   * parser gives them: `schema.name` when qualified, unquoted names folded to lower case.
   */
  readonly relations: ReadonlyArray<string>
  /** The parse node's type (`AlterTableStmt`, `UpdateStmt`, ...). */
  readonly kind: string
  /** The parse node itself (libpg-query's JSON form), for callers that analyse it. */
  readonly node: Readonly<Record<string, unknown>>
}

/** The text is not valid SQL; line and column point at where the parser gave up. */
export class SqlParseError extends Data.TaggedError("SqlParseError")<{
  readonly message: string
  readonly line: number
  readonly column: number
}> {}

type PgQuery = typeof import("libpg-query")

let pgQuery: Promise<PgQuery> | undefined

// Importing libpg-query compiles its wasm (several MB): do it on first use, once.
const loadPgQuery = (): Promise<PgQuery> => {
  pgQuery ??= import("libpg-query").then(
    async (module) => {
      await module.loadModule()
      return module
    },
    (cause: unknown) => {
      pgQuery = undefined
      throw cause
    },
  )
  return pgQuery
}

/**
 * For every UTF-8 byte offset of `text`, the UTF-16 index of the character holding it:
 * the parser reports byte offsets into the UTF-8 encoding it was given.
 */
const utf16IndexByByte = (text: string): Uint32Array => {
  const table = new Uint32Array(Buffer.byteLength(text, "utf8") + 1)
  let byte = 0
  for (let index = 0; index < text.length; ) {
    const codePoint = text.codePointAt(index)!
    const bytes = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4
    table.fill(index, byte, byte + bytes)
    byte += bytes
    index += codePoint > 0xffff ? 2 : 1
  }
  table[byte] = text.length
  return table
}

/** Every RangeVar in a parse tree: an object with a string `relname` is one. */
const relationsOf = (node: unknown, found: Set<string> = new Set()): Set<string> => {
  if (Array.isArray(node)) {
    for (const child of node) relationsOf(child, found)
  } else if (typeof node === "object" && node !== null) {
    const { relname, schemaname } = node as { relname?: unknown; schemaname?: unknown }
    if (typeof relname === "string") {
      found.add(typeof schemaname === "string" ? `${schemaname}.${relname}` : relname)
    }
    for (const child of Object.values(node)) relationsOf(child, found)
  }
  return found
}

const isComment = (tokenName: string) => tokenName === "SQL_COMMENT" || tokenName === "C_COMMENT"

/**
 * Splits SQL into statements with PostgreSQL's parser, so semicolons inside strings,
 * dollar-quoted bodies and comments never split. Text with no statement gives [].
 * Throws SqlParseError when the text is not valid SQL.
 */
export const splitStatements = async (sql: string): Promise<ReadonlyArray<Statement>> => {
  // The parser rejects "" outright; whitespace and comments alone parse to nothing.
  if (sql === "") return []
  const { parseSync, scanSync, hasSqlDetails } = await loadPgQuery()
  let parsed: ReturnType<typeof parseSync>
  try {
    parsed = parseSync(sql)
  } catch (cause) {
    if (!hasSqlDetails(cause)) throw cause
    const details = cause.sqlDetails!
    const { line, column } = lineAndColumnAt(sql, indexOfCodePoint(sql, details.cursorPosition))
    throw new SqlParseError({ message: details.message, line, column })
  }
  const raw = parsed.stmts ?? []
  if (raw.length === 0) return []

  // The parser's statement ranges start after the previous `;` and may include leading
  // and trailing comments; the scanner's tokens give the exact first and last token.
  const tokens = scanSync(sql).tokens.filter((token) => !isComment(token.tokenName))
  const toIndex = utf16IndexByByte(sql)
  const byteLength = toIndex.length - 1
  const at = textPositions(sql)
  const statements: Statement[] = []
  let next = 0
  for (const { stmt, stmt_location: location = 0, stmt_len: length = 0 } of raw) {
    // A zero length means "to the end of the text": the last statement without `;`.
    const rangeEnd = length > 0 ? location + length : byteLength
    while (next < tokens.length && tokens[next]!.start < location) next++
    const first = tokens[next]
    let last = first
    while (next < tokens.length && tokens[next]!.end <= rangeEnd) last = tokens[next++]
    if (first === undefined || last === undefined) continue
    const start = toIndex[first.start]!
    const end = toIndex[last.end]!
    statements.push({
      text: sql.slice(start, end),
      start,
      end,
      ...at(start),
      transactionControl: stmt !== undefined && "TransactionStmt" in stmt,
      tree: stmt,
      relations: [...relationsOf(stmt)],
      kind: Object.keys(stmt ?? {})[0] ?? "unknown",
      node: (Object.values(stmt ?? {})[0] ?? {}) as Record<string, unknown>,
    })
  }
  return statements
}
