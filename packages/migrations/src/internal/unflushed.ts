import type { PlannedStep } from "../MigrationPlan.js"

/**
 * Of the steps a run reported done, those whose commits may not be on disk yet: every
 * transactional one committed with `synchronous_commit = off`, until a commit that
 * waited (a no-transaction step's, at the server's setting) flushed the WAL before it.
 */
export const unflushedOf = (done: ReadonlyArray<PlannedStep>): ReadonlyArray<number> => {
  const lastFlush = done.findLastIndex((step) => step.noTransaction)
  return done.slice(lastFlush + 1).map((step) => step.version)
}
