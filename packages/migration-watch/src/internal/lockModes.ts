import type { Statement } from "@coderops/migrations"

/** PostgreSQL's table lock modes, weakest first: a stronger one held covers a weaker one. */
const modes = [
  "AccessShareLock",
  "RowShareLock",
  "RowExclusiveLock",
  "ShareUpdateExclusiveLock",
  "ShareLock",
  "ShareRowExclusiveLock",
  "ExclusiveLock",
  "AccessExclusiveLock",
] as const

export const lockLevel = (mode: string): number => modes.indexOf(mode as (typeof modes)[number])

/**
 * The lock a statement usually takes on its first-named table (its target), from the
 * statement's kind: an estimate for telling statements apart, not a trace. Some ALTER TABLE
 * forms take less than ACCESS EXCLUSIVE; no form takes more.
 */
export const targetLockOf = (
  statement: Statement,
): { readonly relation: string; readonly level: number } | undefined => {
  const relation = statement.relations[0]
  if (relation === undefined) return undefined
  const node = statement.node as { concurrent?: boolean; mode?: number; locking?: unknown }
  const mode = (() => {
    switch (statement.kind) {
      case "SelectStmt":
        return "AccessShareLock"
      case "InsertStmt":
      case "UpdateStmt":
      case "DeleteStmt":
      case "MergeStmt":
        return "RowExclusiveLock"
      case "IndexStmt":
        return node.concurrent === true ? "ShareUpdateExclusiveLock" : "ShareLock"
      case "CreateTrigStmt":
        return "ShareRowExclusiveLock"
      case "LockStmt":
        // LOCK's mode is a number from 1 (ACCESS SHARE) to 8 (ACCESS EXCLUSIVE).
        return modes[(node.mode ?? 8) - 1] ?? "AccessExclusiveLock"
      case "AlterTableStmt":
      case "DropStmt":
      case "TruncateStmt":
      case "RenameStmt":
      case "ClusterStmt":
      case "ReindexStmt":
      case "RefreshMatViewStmt":
        return "AccessExclusiveLock"
      default:
        return undefined
    }
  })()
  return mode === undefined ? undefined : { relation, level: lockLevel(mode) }
}
