// Simple SQL conditions, as pg_get_expr / pg_get_constraintdef render them (check
// constraints, partial index predicates), evaluated on a generated row's text values: OR,
// AND, NOT, IS [NOT] NULL, comparisons of a column (or its length) with a literal.
// Anything else does not parse, and the caller says so.

/** A row's values by column: text as COPY would send it, or null. */
export interface RowValues {
  readonly get: (column: string) => string | null | undefined
}

export type Predicate = (row: RowValues) => boolean

type Operand = (row: RowValues) => string | number | boolean | null

const tokenPattern =
  /\s*(?:('(?:[^']|'')*')|(::\s*(?:character varying|timestamp with(?:out)? time zone|double precision|"[^"]+"|[a-z_][a-z0-9_.]*)(?:\[\])?)|(<>|!=|<=|>=|=|<|>|\(|\)|,)|(-?\d+(?:\.\d+)?)|("(?:[^"]|"")+"|[a-z_][a-z0-9_]*))/giy

const tokenize = (text: string): Array<string> | undefined => {
  const tokens: Array<string> = []
  tokenPattern.lastIndex = 0
  let position = 0
  while (position < text.length) {
    if (/^\s*$/.test(text.slice(position))) break
    tokenPattern.lastIndex = position
    const match = tokenPattern.exec(text)
    if (match === null) return undefined
    position = tokenPattern.lastIndex
    // Casts change nothing this evaluator compares: dropped.
    if (match[2] === undefined) tokens.push((match[1] ?? match[3] ?? match[4] ?? match[5])!)
  }
  return tokens
}

const booleanText = (value: string | number | boolean | null) =>
  value === null ? null : value === true || value === "t" || value === "true"

const compare = (op: string, a: string | number | boolean, b: string | number | boolean) => {
  if (typeof a === "boolean" || typeof b === "boolean") {
    const same = booleanText(a) === booleanText(b)
    return op === "=" ? same : op === "<>" || op === "!=" ? !same : false
  }
  const numeric = typeof a === "number" || typeof b === "number"
  const x = numeric ? Number(a) : String(a)
  const y = numeric ? Number(b) : String(b)
  switch (op) {
    case "=":
      return x === y
    case "<>":
    case "!=":
      return x !== y
    case "<":
      return x < y
    case "<=":
      return x <= y
    case ">":
      return x > y
    default:
      return x >= y
  }
}

/** A parser over the tokens; throws on anything it does not know (caught by `parsePredicate`). */
const parser = (tokens: ReadonlyArray<string>, columns: Set<string>) => {
  let at = 0
  const peek = () => tokens[at]?.toLowerCase()
  const take = (expected?: string) => {
    const token = tokens[at++]
    if (token === undefined || (expected !== undefined && token.toLowerCase() !== expected))
      throw new Error(`expected ${expected ?? "a token"}`)
    return token
  }
  const operand = (): Operand => {
    const token = take()
    if (token === "(") {
      const inner = operand()
      take(")")
      return inner
    }
    if (token.startsWith("'")) {
      const text = token.slice(1, -1).replaceAll("''", "'")
      return () => text
    }
    if (/^-?\d/.test(token)) return () => Number(token)
    const word = token.toLowerCase()
    if (word === "true" || word === "false") return () => word === "true"
    if ((word === "length" || word === "char_length") && peek() === "(") {
      take("(")
      const inner = operand()
      take(")")
      return (row) => {
        const value = inner(row)
        return value === null ? null : [...String(value)].length
      }
    }
    const column = token.startsWith('"') ? token.slice(1, -1).replaceAll('""', '"') : word
    columns.add(column)
    return (row) => row.get(column) ?? null
  }
  const operators = ["=", "<>", "!=", "<", "<=", ">", ">="]
  const comparisonFollows = () => {
    const next = peek()
    return next !== undefined && (next === "is" || operators.includes(next))
  }
  const comparison = (): Predicate => {
    if (peek() === "not") {
      take()
      const inner = comparison()
      return (row) => !inner(row)
    }
    if (peek() === "(") {
      // A parenthesised condition, or an operand in parentheses: try the condition first.
      const start = at
      try {
        take("(")
        const inner = disjunction()
        take(")")
        // `(name)::text <> ''`: the parentheses held an operand, not a condition.
        if (!comparisonFollows()) return inner
      } catch {
        // not a condition in parentheses
      }
      at = start
    }
    const left = operand()
    const next = peek()
    if (next === "is") {
      take()
      const negated = peek() === "not"
      if (negated) take()
      take("null")
      return (row) => (left(row) === null) !== negated
    }
    if (next !== undefined && operators.includes(next)) {
      const op = take()
      const right = operand()
      return (row) => {
        const a = left(row)
        const b = right(row)
        // NULL compared is unknown: a check passes, a predicate does not hold.
        return a === null || b === null ? false : compare(op, a, b)
      }
    }
    return (row) => booleanText(left(row)) === true
  }
  const conjunction = (): Predicate => {
    const parts = [comparison()]
    while (peek() === "and") {
      take()
      parts.push(comparison())
    }
    return (row) => parts.every((part) => part(row))
  }
  const disjunction = (): Predicate => {
    const parts = [conjunction()]
    while (peek() === "or") {
      take()
      parts.push(conjunction())
    }
    return (row) => parts.some((part) => part(row))
  }
  return { disjunction, done: () => at === tokens.length }
}

/**
 * The condition as a function of a row, and the columns it reads; undefined when it is
 * not one of the simple forms. A `CHECK (...)` wrapper is accepted.
 */
export const parsePredicate = (
  text: string,
): { readonly test: Predicate; readonly columns: ReadonlyArray<string> } | undefined => {
  const body = text.replace(/^\s*CHECK\s*/i, "").replace(/\s+NOT VALID\s*$/i, "")
  const tokens = tokenize(body)
  if (tokens === undefined) return undefined
  const columns = new Set<string>()
  try {
    const p = parser(tokens, columns)
    const test = p.disjunction()
    return p.done() ? { test, columns: [...columns] } : undefined
  } catch {
    return undefined
  }
}
