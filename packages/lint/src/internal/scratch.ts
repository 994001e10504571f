import type { DbShape } from "@coderops/db-core"
import type { Migration } from "@coderops/migrations"
import * as Effect from "effect/Effect"

/**
 * Brings an empty scratch database to the schema after `migrations`, as fast as the server
 * allows: each run of transactional migrations is one message in one transaction (no
 * version rows, no history, no lock: the scratch database is nobody else's), and each
 * no-transaction migration its own message, as Coder's driver sends it. Only the schema
 * matters here; a failure fails the lint (the chain does not apply).
 */
export const buildScratchSchema = (db: DbShape, migrations: ReadonlyArray<Migration>) =>
  Effect.gen(function* () {
    const chunks: Array<string> = []
    let run: Array<string> = []
    const flush = () => {
      // A `;` line between files: a file's last statement may lack its own.
      if (run.length > 0) chunks.push(`BEGIN;\n${run.join("\n;\n")}\n;\nCOMMIT;`)
      run = []
    }
    for (const migration of migrations) {
      if (migration.up.empty) continue
      if (migration.up.noTransaction) {
        flush()
        chunks.push(migration.up.sql)
      } else run.push(migration.up.sql)
    }
    flush()
    for (const chunk of chunks) yield* db.script("LintBuildScratchSchema", chunk)
  })
