import type { BlockingSession } from "./internal/blockingSessions.js"
import type { LockHolder } from "./internal/lockHolders.js"
import type { Direction } from "./SchemaMigrations.js"

/** What a migrator reports while it runs: lock waits, each migration, retries, fixtures, long runs. */
export type MigratorEvent =
  | { readonly type: "lock-wait"; readonly holders: ReadonlyArray<LockHolder> }
  | { readonly type: "lock-acquired"; readonly waitedSeconds: number }
  | {
      readonly type: "start"
      readonly version: number
      readonly direction: Direction
      readonly name: string
    }
  | {
      readonly type: "done"
      readonly version: number
      readonly direction: Direction
      readonly name: string
      readonly seconds: number
    }
  | {
      readonly type: "retry"
      readonly version: number
      readonly attempt: number
      readonly reason: string
      readonly delaySeconds: number
    }
  | { readonly type: "fixture"; readonly version: number; readonly name: string }
  /** A migration still running (MigratorOptions.watch), and the sessions it waits for. */
  | {
      readonly type: "running"
      readonly version: number
      readonly direction: Direction
      readonly name: string
      readonly seconds: number
      /** Sessions holding a lock the migration's session waits for; empty when it waits for none. */
      readonly blockedBy: ReadonlyArray<BlockingSession>
    }
