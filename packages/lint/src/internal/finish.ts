import { rules } from "../Rules.js"
import type { Hit, MigrationState } from "./hits.js"

/** The rules that look at a whole migration: a table passed over more than once. */
export const finishMigration = (state: MigrationState): ReadonlyArray<Hit> => {
  const hits: Array<Hit> = []
  for (const [table, passes] of state.passes) {
    if (passes.length < 2) continue
    const lines = passes.map((s) => s.line).join(", ")
    hits.push({
      rule: rules.rewriteTwice,
      statement: passes[1]!,
      table,
      message: (label) =>
        `${label} is rewritten ${passes.length} times in this migration (lines ${lines})`,
      locks: [],
      passes: passes.length,
    })
  }
  return hits
}
