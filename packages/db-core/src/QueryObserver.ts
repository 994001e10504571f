import type { SqlError } from "./SqlError.js"

/** What the query hook sees of every statement: never SQL text or parameters. */
export interface QueryEvent {
  readonly name: string
  readonly kind: "query" | "script" | "copy"
  readonly durationSeconds: number
  readonly outcome: "ok" | "error"
  readonly rowCount: number
  readonly error?: SqlError["_tag"] | undefined
}

export interface TransactionEvent {
  readonly name: string
  readonly durationSeconds: number
  readonly outcome: "commit" | "rollback"
}

/** Observes every statement and transaction that goes through `Db` (metrics, tests). */
export interface QueryObserver {
  readonly onQuery?: ((event: QueryEvent) => void) | undefined
  readonly onTransaction?: ((event: TransactionEvent) => void) | undefined
}
