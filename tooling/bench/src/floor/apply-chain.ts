// Reference floors for `migrate-chain`: the least a Node process can do to apply a chain
// with coderd's semantics (each migration in its own transaction with its version row).
// No lock, no history, no checks, no progress: not a migrator, a measuring stick.
//   node dist/floor/apply-chain.js per-message|one-message URL FILE...
import { readFileSync } from "node:fs"
import pg from "pg"

const [mode, url, ...files] = process.argv.slice(2)
if ((mode !== "per-message" && mode !== "one-message") || url === undefined) {
  process.stderr.write("usage: apply-chain.js per-message|one-message URL FILE...\n")
  process.exit(2)
}
const client = new pg.Client({ connectionString: url })
await client.connect()
await client.query(
  "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)",
)
const transactions = files.map(
  (file, i) =>
    `BEGIN;\n${readFileSync(file, "utf8")}\n;DELETE FROM schema_migrations; INSERT INTO schema_migrations VALUES (${i + 1}, false); COMMIT;`,
)
if (mode === "per-message") {
  // One round trip per migration.
  for (const text of transactions) await client.query(text)
} else {
  // Every migration in one simple-protocol message: still one transaction each.
  await client.query(transactions.join("\n"))
}
await client.end()
