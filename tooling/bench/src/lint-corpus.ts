// The corpus of `lint-vs-squawk.ts`: migrations on a schema with a large table (`big`,
// 300,000 rows) and a small one (`small`, 50 rows), each marked dangerous or safe for a
// deployment of that size, with why. `coder` cases run on the bundled Coder baseline.

export interface CorpusCase {
  readonly name: string
  readonly sql: string
  readonly dangerous: boolean
  readonly why: string
  readonly coder?: boolean
}

export const corpusBase = `CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE TABLE big (id bigint PRIMARY KEY, a int, v varchar(10), n text, m mood NOT NULL DEFAULT 'ok', created timestamptz NOT NULL DEFAULT now());
CREATE INDEX big_a ON big (a);
CREATE TABLE small (id bigint PRIMARY KEY, a int, v varchar(10), n text, m mood NOT NULL DEFAULT 'ok');
CREATE INDEX small_a ON small (a);
CREATE TABLE child (id bigint PRIMARY KEY, big_id bigint);
`

export const corpusData = `INSERT INTO big (id, a, v, n) SELECT g, g % 1000, 'v' || (g % 100), 'row ' || g FROM generate_series(1, 300000) g;
INSERT INTO small (id, a, v, n) SELECT g, g, 'v', 'row' FROM generate_series(1, 50) g;
INSERT INTO child (id, big_id) SELECT g, g FROM generate_series(1, 1000) g;
ANALYZE;`

const noTx = "-- coder:no-transaction\n"

export const corpus: ReadonlyArray<CorpusCase> = [
  {
    name: "update-big-twice",
    sql: "UPDATE big SET a = 1;\nUPDATE big SET n = 'x';",
    dangerous: true,
    why: "two full passes over 300k rows",
  },
  {
    name: "update-big-once",
    sql: "UPDATE big SET a = 1, n = 'x';",
    dangerous: true,
    why: "one full pass over 300k rows in the migration",
  },
  {
    name: "update-small-twice",
    sql: "UPDATE small SET a = 1;\nUPDATE small SET n = 'x';",
    dangerous: false,
    why: "50 rows",
  },
  {
    name: "update-big-by-id",
    sql: "UPDATE big SET a = 1 WHERE id = 7;",
    dangerous: false,
    why: "one row",
  },
  {
    name: "update-big-most-rows",
    sql: "UPDATE big SET a = 1 WHERE id > 10;",
    dangerous: true,
    why: "a WHERE that matches almost every row",
  },
  {
    name: "delete-big-all",
    sql: "DELETE FROM big;",
    dangerous: true,
    why: "300k rows deleted in one statement",
  },
  { name: "delete-small-all", sql: "DELETE FROM small;", dangerous: false, why: "50 rows" },
  {
    name: "not-null-big",
    sql: "ALTER TABLE big ALTER COLUMN a SET NOT NULL;",
    dangerous: true,
    why: "scan of 300k rows under ACCESS EXCLUSIVE",
  },
  {
    name: "not-null-small",
    sql: "ALTER TABLE small ALTER COLUMN a SET NOT NULL;",
    dangerous: false,
    why: "50 rows",
  },
  {
    name: "not-null-new-table",
    sql: "CREATE TABLE w (a int);\nALTER TABLE w ALTER COLUMN a SET NOT NULL;",
    dangerous: false,
    why: "table created in the same migration",
  },
  {
    name: "volatile-default-big",
    sql: "ALTER TABLE big ADD COLUMN r float8 DEFAULT random();",
    dangerous: true,
    why: "rewrite of 300k rows",
  },
  {
    name: "constant-default-big",
    sql: "ALTER TABLE big ADD COLUMN r int DEFAULT 0;",
    dangerous: false,
    why: "catalog-only since PostgreSQL 11",
  },
  {
    name: "now-default-big",
    sql: "ALTER TABLE big ADD COLUMN r timestamptz DEFAULT now();",
    dangerous: false,
    why: "now() is stable: no rewrite",
  },
  {
    name: "int-to-bigint-big",
    sql: "ALTER TABLE big ALTER COLUMN a TYPE bigint;",
    dangerous: true,
    why: "rewrite of 300k rows and their indexes",
  },
  {
    name: "varchar-widen-big",
    sql: "ALTER TABLE big ALTER COLUMN v TYPE varchar(20);",
    dangerous: false,
    why: "widening varchar does not rewrite",
  },
  {
    name: "varchar-to-text-big",
    sql: "ALTER TABLE big ALTER COLUMN v TYPE text;",
    dangerous: false,
    why: "binary-coercible: no rewrite",
  },
  {
    name: "int-to-bigint-small",
    sql: "ALTER TABLE small ALTER COLUMN a TYPE bigint;",
    dangerous: false,
    why: "50 rows",
  },
  {
    name: "index-big",
    sql: "CREATE INDEX big_n ON big (n);",
    dangerous: true,
    why: "blocks writes while 300k rows are indexed",
  },
  {
    name: "index-big-concurrently",
    sql: `${noTx}CREATE INDEX CONCURRENTLY big_n ON big (n);`,
    dangerous: false,
    why: "concurrently, outside a transaction",
  },
  {
    name: "index-concurrently-in-tx",
    sql: "CREATE INDEX CONCURRENTLY big_n ON big (n);",
    dangerous: true,
    why: "fails: CONCURRENTLY in a transaction",
  },
  {
    name: "index-new-table",
    sql: "CREATE TABLE w (a int);\nCREATE INDEX w_a ON w (a);",
    dangerous: false,
    why: "new table",
  },
  {
    name: "index-small",
    sql: "CREATE INDEX small_n ON small (n);",
    dangerous: false,
    why: "50 rows",
  },
  {
    name: "drop-index-big",
    sql: "DROP INDEX big_a;",
    dangerous: true,
    why: "ACCESS EXCLUSIVE on big while queries run",
  },
  { name: "reindex-big", sql: "REINDEX INDEX big_a;", dangerous: true, why: "rebuild under lock" },
  {
    name: "check-valid-big",
    sql: "ALTER TABLE big ADD CONSTRAINT big_a_pos CHECK (a >= 0);",
    dangerous: true,
    why: "validation scan under lock",
  },
  {
    name: "check-not-valid-big",
    sql: "ALTER TABLE big ADD CONSTRAINT big_a_pos CHECK (a >= 0) NOT VALID;",
    dangerous: false,
    why: "no scan",
  },
  {
    name: "fk-valid",
    sql: "ALTER TABLE child ADD CONSTRAINT child_big FOREIGN KEY (big_id) REFERENCES big (id);",
    dangerous: true,
    why: "validates and locks both tables",
  },
  {
    name: "fk-not-valid",
    sql: "ALTER TABLE child ADD CONSTRAINT child_big FOREIGN KEY (big_id) REFERENCES big (id) NOT VALID;",
    dangerous: false,
    why: "no validation",
  },
  {
    name: "unique-big",
    sql: "ALTER TABLE big ADD CONSTRAINT big_n_key UNIQUE (n);",
    dangerous: true,
    why: "index build under ACCESS EXCLUSIVE",
  },
  {
    name: "unique-new-table",
    sql: "CREATE TABLE w (n text);\nALTER TABLE w ADD CONSTRAINT w_n_key UNIQUE (n);",
    dangerous: false,
    why: "new table",
  },
  {
    name: "exclusive-then-update",
    sql: "ALTER TABLE small ADD COLUMN b int;\nUPDATE big SET a = 2;",
    dangerous: true,
    why: "small locked exclusively while big is rewritten",
  },
  {
    name: "update-then-exclusive",
    sql: "SET LOCAL lock_timeout = '3s';\nUPDATE small SET a = 2;\nALTER TABLE small ADD COLUMN b int;",
    dangerous: false,
    why: "small work, lock taken last, lock_timeout set",
  },
  {
    name: "enum-add-and-use",
    sql: "ALTER TYPE mood ADD VALUE 'glad';\nUPDATE small SET m = 'glad' WHERE id = 1;",
    dangerous: true,
    why: "fails: new value used in the same transaction",
  },
  {
    name: "enum-add-only",
    sql: "ALTER TYPE mood ADD VALUE 'glad';",
    dangerous: false,
    why: "adding a value is cheap",
  },
  {
    name: "drop-column-big",
    sql: "ALTER TABLE big DROP COLUMN n;",
    dangerous: true,
    why: "older replicas still select it",
  },
  {
    name: "rename-column-big",
    sql: "ALTER TABLE big RENAME COLUMN n TO note;",
    dangerous: true,
    why: "older replicas still use the old name",
  },
  {
    name: "drop-new-table",
    sql: "CREATE TABLE w (a int);\nDROP TABLE w;",
    dangerous: false,
    why: "new table",
  },
  {
    name: "vacuum-full-big",
    sql: `${noTx}VACUUM FULL big;`,
    dangerous: true,
    why: "rewrite under ACCESS EXCLUSIVE",
  },
  {
    name: "truncate-cascade",
    sql: "TRUNCATE big CASCADE;",
    dangerous: true,
    why: "empties child too",
  },
  {
    name: "create-table-json",
    sql: "CREATE TABLE w (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, j json);",
    dangerous: false,
    why: "style only",
  },
  {
    name: "create-table-clean",
    sql: "CREATE TABLE w (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, j jsonb, at timestamptz, c text);",
    dangerous: false,
    why: "clean",
  },
  {
    name: "add-nullable-column-big",
    sql: "SET LOCAL lock_timeout = '3s';\nALTER TABLE big ADD COLUMN note2 text;",
    dangerous: false,
    why: "catalog-only, lock_timeout set",
  },
  {
    name: "insert-small",
    sql: "INSERT INTO small (id, a) VALUES (1000, 1);",
    dangerous: false,
    why: "one row",
  },
  {
    name: "coder-000371-slow",
    sql: "ALTER TABLE api_keys ADD COLUMN scopes api_key_scope[];\nUPDATE api_keys SET scopes = ARRAY[scope];\nALTER TABLE api_keys ADD COLUMN allow_list text[];\nUPDATE api_keys SET allow_list = ARRAY['*:*'];\nALTER TABLE api_keys ALTER COLUMN scopes SET NOT NULL, ALTER COLUMN allow_list SET NOT NULL, DROP COLUMN scope;",
    dangerous: true,
    why: "Coder's slow 000371: api_keys rewritten twice with its expired keys",
    coder: true,
  },
  {
    name: "coder-000371-fast",
    sql: "DELETE FROM api_keys WHERE expires_at < now() - interval '7 days';\nALTER TABLE api_keys ADD COLUMN scopes api_key_scope[], ADD COLUMN allow_list text[];\nUPDATE api_keys SET scopes = ARRAY[scope], allow_list = ARRAY['*:*'];\nALTER TABLE api_keys ALTER COLUMN scopes SET NOT NULL, ALTER COLUMN allow_list SET NOT NULL, DROP COLUMN scope;",
    dangerous: true,
    why: "the fix: purge first, one pass; still a full pass, a scan and a dropped column, so both tools flag it: what matters is how its findings differ from the slow form's",
    coder: true,
  },
]
