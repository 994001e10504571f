import * as Effect from "effect/Effect"
import type { MigrationFile } from "../MigrationSource.js"
import { statementsOf } from "./locateFailure.js"

/**
 * The first statement among `files` that controls the transaction itself (BEGIN,
 * COMMIT, ROLLBACK, SAVEPOINT, ...), with its file. Inside one transaction for the whole
 * run such a statement ends it part-way: what ran before its COMMIT stays committed
 * whatever fails after. A file the parser cannot read is left to the server.
 */
export const findTransactionControl = (files: ReadonlyArray<MigrationFile>) =>
  Effect.gen(function* () {
    for (const file of files) {
      if (file.empty) continue
      const statement = (yield* statementsOf(file.sql)).find((s) => s.transactionControl)
      if (statement !== undefined) return { file, statement }
    }
    return undefined
  })
