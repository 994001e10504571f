export type Severity = "note" | "warning" | "error"

/**
 * The work a finding stands for, which the cost model turns into a lock duration:
 * rewriting a table, updating or deleting its rows, scanning it, building an index.
 */
export type Work = "rewrite" | "update" | "delete" | "scan" | "index"

export interface Rule {
  readonly id: string
  /** Severity without sizes; a rule with `work` scales with the table's size when known. */
  readonly severity: Severity
  readonly work?: Work | undefined
  /** Why the statement hurts. */
  readonly why: string
  /** What to write instead. */
  readonly instead: string
}

const rule = (
  id: string,
  severity: Severity,
  work: Work | undefined,
  why: string,
  instead: string,
): Rule => ({ id, severity, work, why, instead })

/** Every rule, by id. Ids are stable: suppressions and ignores name them. */
export const rules = {
  rewriteTwice: rule(
    "table-rewritten-twice",
    "warning",
    "rewrite",
    "every full pass over a table writes each row again while the migration's locks are held; two passes cost twice (Coder's 000371 stalled upgrades this way)",
    "fill all new columns in one UPDATE, add columns in one ALTER TABLE, and purge dead rows before the pass",
  ),
  purgeFirst: rule(
    "purge-before-rewrite",
    "warning",
    "rewrite",
    "the pass carries every expired API key along, rows nothing will use again and the purge job deletes anyway",
    "purge keys that expired more than 7 days ago before the upgrade (in short batches), or delete them at the start of the migration",
  ),
  unbatchedDml: rule(
    "unbatched-dml",
    "warning",
    "update",
    "one statement updating or deleting every row of a table holds its row locks and bloats it for the whole migration, blocking writers",
    "backfill in batches outside the migration (or after it, in the application), or purge dead rows first",
  ),
  setNotNull: rule(
    "set-not-null",
    "warning",
    "scan",
    "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
    "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later step, then SET NOT NULL (it uses the valid check and skips the scan)",
  ),
  volatileDefault: rule(
    "volatile-default",
    "warning",
    "rewrite",
    "a column added with a volatile default (random(), clock_timestamp(), a sequence) rewrites the whole table under ACCESS EXCLUSIVE",
    "add the column without a default (or with a constant one), then backfill in batches",
  ),
  rewritingTypeChange: rule(
    "rewriting-type-change",
    "warning",
    "rewrite",
    "this type change rewrites the whole table and rebuilds its indexes under ACCESS EXCLUSIVE (varchar(n)→varchar(m>n) or varchar→text would not)",
    "add a new column, backfill it in batches, switch reads over, then drop the old one",
  ),
  tableRewrite: rule(
    "table-rewrite",
    "warning",
    "rewrite",
    "the statement rewrites the whole table under ACCESS EXCLUSIVE",
    "find a form that changes only the catalog, or do the change in batches on a new column or table",
  ),
  indexNotConcurrent: rule(
    "index-not-concurrently",
    "warning",
    "index",
    "CREATE INDEX without CONCURRENTLY blocks every write to the table while it builds",
    "CREATE INDEX CONCURRENTLY in a migration of its own that starts with -- coder:no-transaction",
  ),
  dropIndexNotConcurrent: rule(
    "drop-index-not-concurrently",
    "warning",
    undefined,
    "DROP INDEX takes ACCESS EXCLUSIVE on the table: it waits for every running query on it, and everything queues behind it",
    "DROP INDEX CONCURRENTLY in a migration of its own that starts with -- coder:no-transaction",
  ),
  concurrentlyInTransaction: rule(
    "concurrently-in-transaction",
    "error",
    undefined,
    "CONCURRENTLY cannot run inside a transaction block: the migration fails",
    "put the statement in a migration of its own whose first line is -- coder:no-transaction",
  ),
  reindex: rule(
    "reindex-not-concurrently",
    "warning",
    "index",
    "REINDEX without CONCURRENTLY blocks writes (and reads through the index) while it rebuilds",
    "REINDEX ... CONCURRENTLY in a migration with -- coder:no-transaction",
  ),
  constraintValid: rule(
    "constraint-not-valid-first",
    "warning",
    "scan",
    "adding a CHECK or FOREIGN KEY constraint validates every row while holding a lock that blocks writes",
    "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (that takes a weaker lock)",
  ),
  uniqueConstraint: rule(
    "unique-constraint",
    "warning",
    "index",
    "a new UNIQUE or PRIMARY KEY constraint builds its index under ACCESS EXCLUSIVE",
    "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX",
  ),
  exclusiveThenWork: rule(
    "exclusive-lock-then-work",
    "warning",
    "update",
    "an ACCESS EXCLUSIVE lock taken earlier in the transaction is held until it commits: every query on that table waits for this long statement too",
    "do the long work first (or in another migration), and take the exclusive lock last, just before the commit",
  ),
  noLockTimeout: rule(
    "no-lock-timeout",
    "note",
    undefined,
    "waiting for ACCESS EXCLUSIVE queues every other query on the table behind it; coderops and newer coderd set a lock_timeout (3 s), older coderd ran all pending migrations in one transaction with none",
    "SET LOCAL lock_timeout at the top of the migration, or let coderops run the migrations (it sets one and retries)",
  ),
  addValueThenUse: rule(
    "enum-value-used-in-transaction",
    "error",
    undefined,
    "a value added with ALTER TYPE ... ADD VALUE cannot be used before its transaction commits: the migration fails (55P04)",
    "add the value in one migration and use it in a later one",
  ),
  breakingChange: rule(
    "breaking-drop-or-rename",
    "warning",
    undefined,
    "older coderd replicas still running during a rolling upgrade query the old name and fail",
    "stop using the column or table in one release, drop or rename it in a later one",
  ),
  vacuumFull: rule(
    "vacuum-full-or-cluster",
    "warning",
    "rewrite",
    "VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE",
    "plain VACUUM, or pg_repack outside the migration",
  ),
  truncateCascade: rule(
    "truncate-cascade",
    "warning",
    undefined,
    "TRUNCATE ... CASCADE also empties every table that references this one, however far",
    "name every table to empty explicitly",
  ),
  preferJsonb: rule(
    "prefer-jsonb",
    "note",
    undefined,
    "json keeps the text as is: no indexing, no equality, slower to query",
    "use jsonb",
  ),
  preferIdentity: rule(
    "prefer-identity",
    "note",
    undefined,
    "serial makes a sequence owned loosely by the column (permissions and dumps trip on it)",
    "use bigint GENERATED ... AS IDENTITY",
  ),
  preferTimestamptz: rule(
    "prefer-timestamptz",
    "note",
    undefined,
    "timestamp without time zone stores wall-clock time with no zone: ambiguous across servers and DST",
    "use timestamp with time zone (timestamptz)",
  ),
  preferText: rule(
    "prefer-text",
    "note",
    undefined,
    "char(n) pads with spaces and is no faster than text or varchar",
    "use text (with a CHECK on length if needed)",
  ),
  traceFailed: rule(
    "statement-failed-on-scratch",
    "note",
    undefined,
    "the statement failed on the scratch schema (empty tables), so its locks and rewrites could not be traced",
    "check that the migration applies to the schema before it",
  ),
  parseError: rule(
    "syntax-error",
    "error",
    undefined,
    "PostgreSQL's parser rejects the migration",
    "fix the SQL",
  ),
  ignoreWithoutReason: rule(
    "ignore-without-reason",
    "warning",
    undefined,
    "a coderops-lint-ignore comment needs a reason after the rule id; without one it silences nothing",
    "write -- coderops-lint-ignore RULE: why it is safe here",
  ),
} as const satisfies Record<string, Rule>

export const allRules: ReadonlyArray<Rule> = Object.values(rules)
