import { useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { defaultCostModel, defaultThresholds, estimateSeconds, severityFor } from "../src/index.js"
import { lint, migrationDir } from "./harness.js"

const database = useTestDatabase()

const base = `
CREATE TABLE t (id bigint PRIMARY KEY, a int, v varchar(10), n text);
CREATE TABLE u (id bigint PRIMARY KEY);
CREATE INDEX t_a ON t (a);
CREATE TYPE e AS ENUM ('x');
CREATE TABLE api_keys (id text PRIMARY KEY, expires_at timestamptz NOT NULL, scope text);
`

const noTx = "-- coder:no-transaction\n"

/** The rules reported for `sql` as migration 2 on the base schema. */
const rulesOf = async (sql: string) => {
  const dir = await migrationDir({ "000001_base": base, "000002_change": sql })
  const report = await lint(database.url, dir, { scope: { kind: "from", version: 2 } })
  return report.findings.map((f) => f.rule)
}

// rule → [a statement that triggers it, a near miss that does not]
const cases: ReadonlyArray<readonly [string, string, string]> = [
  [
    "table-rewritten-twice",
    "UPDATE t SET a = 1;\nUPDATE t SET n = 'x';",
    "UPDATE t SET a = 1, n = 'x';",
  ],
  [
    "purge-before-rewrite",
    "UPDATE api_keys SET scope = 'all';",
    "DELETE FROM api_keys WHERE expires_at < now() - interval '7 days';\nUPDATE api_keys SET scope = 'all';",
  ],
  ["unbatched-dml", "DELETE FROM t;", "DELETE FROM t WHERE id = 1;"],
  [
    "set-not-null",
    "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    "CREATE TABLE w (a int);\nALTER TABLE w ALTER COLUMN a SET NOT NULL;",
  ],
  [
    "volatile-default",
    "ALTER TABLE t ADD COLUMN r float8 DEFAULT random();",
    "ALTER TABLE t ADD COLUMN r int DEFAULT 0;",
  ],
  [
    "rewriting-type-change",
    "ALTER TABLE t ALTER COLUMN a TYPE bigint;",
    "ALTER TABLE t ALTER COLUMN v TYPE varchar(20);",
  ],
  ["table-rewrite", "ALTER TABLE t SET UNLOGGED;", "ALTER TABLE t SET (fillfactor = 90);"],
  [
    "index-not-concurrently",
    "CREATE INDEX t_n ON t (n);",
    `${noTx}CREATE INDEX CONCURRENTLY t_n ON t (n);`,
  ],
  ["drop-index-not-concurrently", "DROP INDEX t_a;", `${noTx}DROP INDEX CONCURRENTLY t_a;`],
  [
    "concurrently-in-transaction",
    "CREATE INDEX CONCURRENTLY t_n ON t (n);",
    `${noTx}CREATE INDEX CONCURRENTLY t_n ON t (n);`,
  ],
  ["reindex-not-concurrently", "REINDEX INDEX t_a;", `${noTx}REINDEX INDEX CONCURRENTLY t_a;`],
  [
    "constraint-not-valid-first",
    "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);",
    "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
  ],
  [
    "unique-constraint",
    "ALTER TABLE t ADD CONSTRAINT t_n_key UNIQUE (n);",
    "CREATE TABLE w (n text);\nALTER TABLE w ADD CONSTRAINT w_n_key UNIQUE (n);",
  ],
  [
    "exclusive-lock-then-work",
    "ALTER TABLE u ADD COLUMN b int;\nUPDATE t SET a = 1;",
    "UPDATE t SET a = 1;\nALTER TABLE u ADD COLUMN b int;",
  ],
  [
    "no-lock-timeout",
    "ALTER TABLE t ADD COLUMN b int;",
    "SET LOCAL lock_timeout = '3s';\nALTER TABLE t ADD COLUMN b int;",
  ],
  [
    "enum-value-used-in-transaction",
    "ALTER TYPE e ADD VALUE 'y';\nSELECT 'y'::e;",
    `${noTx}ALTER TYPE e ADD VALUE 'y';\nSELECT 'y'::e;`,
  ],
  [
    "breaking-drop-or-rename",
    "ALTER TABLE t RENAME COLUMN n TO m;",
    "CREATE TABLE w (n text);\nALTER TABLE w RENAME COLUMN n TO m;",
  ],
  ["vacuum-full-or-cluster", `${noTx}VACUUM FULL t;`, `${noTx}VACUUM t;`],
  ["truncate-cascade", "TRUNCATE u CASCADE;", "TRUNCATE u;"],
  ["prefer-jsonb", "CREATE TABLE w (j json);", "CREATE TABLE w (j jsonb);"],
  [
    "prefer-identity",
    "CREATE TABLE w (id serial);",
    "CREATE TABLE w (id bigint GENERATED ALWAYS AS IDENTITY);",
  ],
  ["prefer-timestamptz", "CREATE TABLE w (at timestamp);", "CREATE TABLE w (at timestamptz);"],
  ["prefer-text", "CREATE TABLE w (c char(3));", "CREATE TABLE w (c varchar(3));"],
  [
    "statement-failed-on-scratch",
    "ALTER TABLE missing ADD COLUMN b int;",
    "ALTER TABLE t ADD COLUMN b int;",
  ],
  ["syntax-error", "SELEC 1;", "SELECT 1;"],
  [
    "ignore-without-reason",
    "-- coderops-lint-ignore set-not-null\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    "-- coderops-lint-ignore set-not-null: t is empty until the next release\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
  ],
]

describe("each rule: a trigger and a near miss", () => {
  for (const [rule, trigger, nearMiss] of cases) {
    it(rule, async () => {
      expect(await rulesOf(trigger)).toContain(rule)
      expect(await rulesOf(nearMiss)).not.toContain(rule)
    })
  }

  it("DROP TABLE of an existing table, not of one created in the same migration", async () => {
    expect(await rulesOf("DROP TABLE u;")).toContain("breaking-drop-or-rename")
    expect(await rulesOf("CREATE TABLE w (a int);\nDROP TABLE w;")).not.toContain(
      "breaking-drop-or-rename",
    )
  })
})

describe("positions and suppression", () => {
  it("names file, line and column; a reasoned ignore moves the finding to ignored", async () => {
    const dir = await migrationDir({
      "000001_base": base,
      "000002_change":
        "-- two changes\nSELECT 1;\n  ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n-- coderops-lint-ignore unbatched-dml: t holds a handful of rows\nDELETE FROM t;\n",
    })
    const report = await lint(database.url, dir, { scope: { kind: "from", version: 2 } })
    const notNull = report.findings.find((f) => f.rule === "set-not-null")!
    expect([notNull.file.endsWith("000002_change.up.sql"), notNull.line, notNull.column]).toEqual([
      true,
      3,
      3,
    ])
    expect(report.findings.map((f) => f.rule)).not.toContain("unbatched-dml")
    expect(report.ignored.map((f) => [f.rule, f.line, f.ignored])).toEqual([
      ["unbatched-dml", 5, "t holds a handful of rows"],
    ])
  })

  it("leaves out ignored rule ids", async () => {
    const dir = await migrationDir({ "000001_base": base, "000002_change": "DELETE FROM t;" })
    const report = await lint(database.url, dir, {
      scope: { kind: "from", version: 2 },
      ignore: ["unbatched-dml"],
    })
    expect(report.findings.map((f) => f.rule)).not.toContain("unbatched-dml")
  })
})

describe("cost model", () => {
  it("a rewrite of 1,000 rows is a note, of 1,000,000 rows an error (default thresholds)", () => {
    const rowBytes = 200
    const of = (rows: number) =>
      severityFor(
        defaultThresholds,
        estimateSeconds(defaultCostModel, "rewrite", rows, rows * rowBytes),
      )
    expect(of(1_000)).toBe("note")
    expect(of(1_000_000)).toBe("error")
  })
})
