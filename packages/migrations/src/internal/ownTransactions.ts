import * as Effect from "effect/Effect"
import type { MigrationFile } from "../MigrationSource.js"
import { statementsOf } from "./locateFailure.js"

// Every transaction control statement starts with one of these words: a file with none
// of them needs no parse (several ms for a large file, and a fresh database runs hundreds).
const controlWord = /\b(abort|begin|start|commit|end|rollback|savepoint|release|prepare)\b/i

/**
 * The first statement among `files` that controls the transaction itself (BEGIN,
 * COMMIT, ROLLBACK, SAVEPOINT, ...), with its file. Inside one transaction for the whole
 * run such a statement ends it part-way: what ran before its COMMIT stays committed
 * whatever fails after. A file the parser cannot read is left to the server.
 */
export const findTransactionControl = (files: ReadonlyArray<MigrationFile>) =>
  Effect.gen(function* () {
    for (const file of files) {
      if (file.empty || !controlWord.test(file.sql)) continue
      const statement = (yield* statementsOf(file.sql)).find((s) => s.transactionControl)
      if (statement !== undefined) return { file, statement }
    }
    return undefined
  })
