import type { Statement } from "@coderops/migrations"

const directive = /--\s*coderops-lint-ignore\s+([a-z0-9-]+)\s*(?::\s*(.*?))?\s*$/gm

export interface Suppression {
  readonly rule: string
  /** Empty when the comment gives none (then it silences nothing). */
  readonly reason: string
}

/**
 * The `-- coderops-lint-ignore RULE: reason` comments that belong to each statement: those
 * between the end of the statement before it and its own end (the comment lines above it,
 * or inside it).
 */
export const suppressionsOf = (
  sql: string,
  statements: ReadonlyArray<Statement>,
): ReadonlyArray<ReadonlyArray<Suppression>> => {
  let from = 0
  return statements.map((statement) => {
    const region = sql.slice(from, statement.end)
    from = statement.end
    return [...region.matchAll(directive)].map((m) => ({
      rule: m[1]!,
      reason: (m[2] ?? "").trim(),
    }))
  })
}
