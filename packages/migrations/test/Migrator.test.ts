import { migrationsDir } from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { createTestDatabase, databaseUrl, sql, useTestDatabase } from "@coderops/test-postgres"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { coderMigrationLockKey } from "../src/index.js"
import { migrationDir, openSession, withMigrator } from "./support.js"

const database = useTestDatabase()
const fresh = async () => databaseUrl(await createTestDatabase())

const version = async (url: string) =>
  (await sql(url, "SELECT version::int, dirty FROM schema_migrations"))[0] as
    | { version: number; dirty: boolean }
    | undefined

describe("Migrator on the bundled Coder schema", () => {
  it("goes up, down, to a version, and reports status", async () => {
    const url = database.url
    const { result: up } = await withMigrator(url, migrationsDir, (m) => m.up())
    expect(up).toMatchObject({ from: undefined, to: 371 })
    expect(up.steps.map((s) => s.version)).toEqual([370, 371])
    expect(await version(url)).toEqual({ version: 371, dirty: false })

    // Up to date: reads and the lock only; no table is created or commented, no row written.
    const { result: noop } = await withMigrator(url, migrationsDir, (m) =>
      Effect.gen(function* () {
        const db = yield* Db
        const statements: Array<string> = []
        const stop = db.addObserver({ onQuery: (event) => statements.push(event.name) })
        const result = yield* m.up()
        stop()
        return { result, statements }
      }),
    )
    expect(noop.result.steps).toEqual([])
    expect(noop.statements.length).toBeGreaterThan(0)
    expect(noop.statements.filter((name) => !/^(Find|Get|Read|Try|Release)/.test(name))).toEqual([])

    const { result: status } = await withMigrator(url, migrationsDir, (m) => m.status)
    expect(status).toMatchObject({ version: 371, dirty: false, latest: 371, pending: 0 })
    expect(status.migrations.every((m) => m.applied && !m.drift && m.seconds !== undefined)).toBe(
      true,
    )

    await withMigrator(url, migrationsDir, (m) => m.down({ count: 1 }))
    expect(await version(url)).toEqual({ version: 370, dirty: false })
    expect(
      (
        await sql(
          url,
          "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'api_keys' AND column_name = 'scope'",
        )
      )[0],
    ).toEqual({ n: 1 })

    const { result: again } = await withMigrator(url, migrationsDir, (m) => m.goto(371))
    expect(again.steps.map((s) => [s.version, s.direction])).toEqual([[371, "up"]])

    const { result: plan } = await withMigrator(url, migrationsDir, (m) =>
      m.down({ count: "all", dryRun: true }),
    )
    expect(plan.steps.map((s) => [s.version, s.resultingVersion])).toEqual([
      [371, 370],
      [370, undefined],
    ])
    expect(await version(url)).toEqual({ version: 371, dirty: false })

    await withMigrator(url, migrationsDir, (m) => m.down({ count: "all" }))
    expect(await version(url)).toBeUndefined()
    expect((await sql(url, "SELECT to_regclass('users')::text AS t"))[0]).toEqual({ t: null })
  })
})

describe("Migrator behaviour", () => {
  it("waits for another holder of the migration lock, names it, and proceeds when released", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_a.up.sql": "CREATE TABLE a (id int);",
      "000001_a.down.sql": "DROP TABLE a;",
    })
    const holder = await openSession(url, "coderd-replica-1")
    await holder.query(`SELECT pg_advisory_lock(${coderMigrationLockKey})`)
    setTimeout(() => void holder.query(`SELECT pg_advisory_unlock(${coderMigrationLockKey})`), 1200)
    try {
      const started = Date.now()
      const { events } = await withMigrator(url, dir, (m) => m.up())
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
      const wait = events.find((e) => e.type === "lock-wait")
      expect(wait).toMatchObject({
        type: "lock-wait",
        holders: [expect.objectContaining({ applicationName: "coderd-replica-1" })],
      })
      expect(events.some((e) => e.type === "lock-acquired")).toBe(true)
      expect(await version(url)).toEqual({ version: 1, dirty: false })
    } finally {
      await holder.close()
    }
  })

  it("retries a migration blocked by a table lock held about a second, amid chained and no-transaction ones: each applied once, in order", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_a.up.sql": "CREATE TABLE a (id int);",
      "000002_a.down.sql": "DROP TABLE a;",
      "000003_alter.up.sql": "ALTER TABLE t ADD COLUMN x int;",
      "000003_alter.down.sql": "ALTER TABLE t DROP COLUMN x;",
      "000004_index.up.sql": "-- coder:no-transaction\nCREATE INDEX CONCURRENTLY t_x ON t (x);",
      "000004_index.down.sql": "-- coder:no-transaction\nDROP INDEX CONCURRENTLY t_x;",
      "000005_b.up.sql": "CREATE TABLE b (id int);",
      "000005_b.down.sql": "DROP TABLE b;",
    })
    await withMigrator(url, dir, (m) => m.up({ limit: 1 }))
    const holder = await openSession(url)
    await holder.query("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE")
    setTimeout(() => void holder.query("COMMIT"), 1000)
    try {
      const { result, events } = await withMigrator(url, dir, (m) => m.up(), {
        lockTimeout: "200 millis",
        retryBase: "200 millis",
      })
      const retried = events.filter((e) => e.type === "retry")
      expect(retried.length).toBeGreaterThanOrEqual(1)
      expect(retried.every((e) => e.version === 3)).toBe(true)
      const versionsOf = (type: string) =>
        events.filter((e) => e.type === type).map((e) => (e as { version: number }).version)
      expect(versionsOf("start")).toEqual([2, 3, 4, 5])
      expect(versionsOf("done")).toEqual([2, 3, 4, 5])
      expect(result.steps.map((step) => step.version)).toEqual([2, 3, 4, 5])
      expect(await version(url)).toEqual({ version: 5, dirty: false })
      expect(
        await sql(url, "SELECT version::int FROM coderops_migration_history ORDER BY id"),
      ).toEqual([1, 2, 3, 4, 5].map((v) => ({ version: v })))
      expect(
        await sql(url, "SELECT to_regclass('b')::text AS b, to_regclass('t_x')::text AS i"),
      ).toEqual([{ b: "b", i: "t_x" }])
    } finally {
      await holder.close()
    }
  })

  it("fails clearly after 5 attempts against a lock held for good, with nothing half-applied", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_two.up.sql": "CREATE TABLE partial (id int);\nALTER TABLE t ADD COLUMN x int;",
      "000002_two.down.sql": "ALTER TABLE t DROP COLUMN x; DROP TABLE partial;",
    })
    await withMigrator(url, dir, (m) => m.up({ limit: 1 }))
    const holder = await openSession(url)
    await holder.query("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE")
    try {
      const { result: error, events } = await withMigrator(url, dir, (m) => Effect.flip(m.up()), {
        lockTimeout: "100 millis",
        retryBase: "10 millis",
      })
      expect(error).toMatchObject({
        _tag: "MigrationFailed",
        version: 2,
        attempts: 5,
        sqlState: "55P03",
        reason: "lock-conflict",
        dirty: false,
      })
      expect(error.message).toContain("000002_two.up.sql")
      expect(events.filter((e) => e.type === "retry")).toHaveLength(4)
      expect(await version(url)).toEqual({ version: 1, dirty: false })
      expect((await sql(url, "SELECT to_regclass('partial')::text AS t"))[0]).toEqual({
        t: null,
      })
    } finally {
      await holder.close()
    }
  })

  it("never retries a file with its own COMMIT: the committed part would run twice", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);\nCREATE TABLE busy (id int);",
      "000001_t.down.sql": "DROP TABLE t, busy;",
      "000002_commits.up.sql":
        "SET lock_timeout = '100ms';\nBEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\nBEGIN;\nLOCK TABLE busy;\nCOMMIT;\n",
      "000002_commits.down.sql": "DELETE FROM t;",
    })
    await withMigrator(url, dir, (m) => m.up({ limit: 1 }))
    const holder = await openSession(url)
    await holder.query("BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE")
    try {
      const { result: error, events } = await withMigrator(url, dir, (m) => Effect.flip(m.up()), {
        retryBase: "10 millis",
      })
      expect(error).toMatchObject({
        _tag: "MigrationFailed",
        version: 2,
        attempts: 1,
        outcome: "committed-part",
      })
      expect(events.filter((e) => e.type === "retry")).toHaveLength(0)
      expect(await sql(url, "SELECT count(*)::int AS n FROM t")).toEqual([{ n: 1 }])
      expect(await version(url)).toEqual({ version: 1, dirty: false })
    } finally {
      await holder.close()
    }
  })

  it("runs CREATE INDEX CONCURRENTLY under the no-transaction directive", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_index.up.sql":
        "-- coder:no-transaction\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);",
      "000002_index.down.sql": "-- coder:no-transaction\nDROP INDEX CONCURRENTLY t_id_idx;",
    })
    await withMigrator(url, dir, (m) => m.up())
    expect(await version(url)).toEqual({ version: 2, dirty: false })
    expect(
      (
        await sql(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id_idx'::regclass")
      )[0],
    ).toEqual({ indisvalid: true })
    await withMigrator(url, dir, (m) => m.down({ count: 1 }))
    expect(await version(url)).toEqual({ version: 1, dirty: false })
  })

  it("applies an enum value added by one migration and used by the next (one transaction each)", async () => {
    const files = {
      "000001_mood.up.sql": "CREATE TYPE mood AS ENUM ('sad'); CREATE TABLE feelings (m mood);",
      "000001_mood.down.sql": "DROP TABLE feelings; DROP TYPE mood;",
      "000002_happy.up.sql": "ALTER TYPE mood ADD VALUE 'happy';",
      "000002_happy.down.sql": "SELECT 1;",
      "000003_use.up.sql": "INSERT INTO feelings VALUES ('happy');",
      "000003_use.down.sql": "DELETE FROM feelings;",
    }
    const url = await fresh()
    await withMigrator(url, await migrationDir(files), (m) => m.up())
    expect(await sql(url, "SELECT m::text FROM feelings")).toEqual([{ m: "happy" }])

    // The older single-transaction design cannot: a value added to an existing type is not
    // usable before its transaction commits, so 2 and 3 in one transaction fail, and roll back.
    const single = await fresh()
    const dir = await migrationDir(files)
    await withMigrator(single, dir, (m) => m.up({ limit: 1 }))
    const { result: error } = await withMigrator(single, dir, (m) => Effect.flip(m.up()), {
      txMode: "all",
    })
    expect(error).toMatchObject({ _tag: "MigrationFailed", version: 3, sqlState: "55P04" })
    expect(await version(single)).toEqual({ version: 1, dirty: false })
  })

  it("refuses a dirty database until force, and names the file, line and column of a failure", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_bad_index.up.sql":
        "-- coder:no-transaction\nCREATE INDEX CONCURRENTLY bad_idx ON t (missing_column);",
      "000002_bad_index.down.sql":
        "-- coder:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS bad_idx;",
    })
    const { result: error } = await withMigrator(url, dir, (m) => Effect.flip(m.up()))
    expect(error).toMatchObject({
      _tag: "MigrationFailed",
      version: 2,
      dirty: true,
      sqlState: "42703",
    })
    expect(error).toMatchObject({
      outcome: "dirty",
      versionIfCompleted: 2,
      versionIfNotCompleted: 1,
    })
    expect(await version(url)).toEqual({ version: 2, dirty: true })

    const { result: refused } = await withMigrator(url, dir, (m) => Effect.flip(m.up()))
    expect(refused).toMatchObject({ _tag: "DatabaseDirty", version: 2 })
    const { result: statusDirty } = await withMigrator(url, dir, (m) => m.status)
    expect(statusDirty).toMatchObject({ version: 2, dirty: true })

    await withMigrator(url, dir, (m) => m.force(1))
    expect(await version(url)).toEqual({ version: 1, dirty: false })

    const runtime = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_runtime.up.sql":
        "-- two good statements, then a bad one\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n  SELECT 1 / 0;\n",
      "000002_runtime.down.sql": "DELETE FROM t;",
    })
    const { result: failed } = await withMigrator(url, runtime, (m) => Effect.flip(m.up()))
    expect(failed).toMatchObject({
      _tag: "MigrationFailed",
      version: 2,
      line: 4,
      column: 3,
      sqlState: "22012",
      dirty: false,
    })
    expect(failed.message).toMatch(/000002_runtime\.up\.sql:4:3/)
    expect((await sql(url, "SELECT count(*)::int AS n FROM t"))[0]).toEqual({ n: 0 })

    const syntax = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_syntax.up.sql": "INSERT INTO t VALUES (1);\nSELEC 2;\n",
      "000002_syntax.down.sql": "SELECT 1;",
    })
    const { result: bad } = await withMigrator(url, syntax, (m) => Effect.flip(m.up()))
    expect(bad).toMatchObject({ _tag: "MigrationFailed", line: 2, column: 1, sqlState: "42601" })
  })

  it("locates errors the server positions, and reports what a file with its own COMMIT kept", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      // The server positions an unknown column: line 3, column 8.
      "000002_column.up.sql": "INSERT INTO t VALUES (1);\n\nSELECT nocolumn FROM t;\n",
      "000002_column.down.sql": "SELECT 1;",
    })
    const { result: positioned } = await withMigrator(url, dir, (m) => Effect.flip(m.up()))
    expect(positioned).toMatchObject({ version: 2, line: 3, column: 8, sqlState: "42703" })

    const own = await fresh()
    const committing = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_commits.up.sql":
        "BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\nINSERT INTO t VALUES (2);\nSELECT 1 / 0;\n",
      "000002_commits.down.sql": "DELETE FROM t;",
    })
    const { result: failed } = await withMigrator(own, committing, (m) => Effect.flip(m.up()))
    expect(failed).toMatchObject({ _tag: "MigrationFailed", version: 2, sqlState: "22012" })
    // Its own COMMIT kept row 1, and only once: nothing of the file runs again.
    expect(await sql(own, "SELECT id FROM t ORDER BY id")).toEqual([{ id: 1 }])
    expect(failed).toMatchObject({ outcome: "committed-part", versionIfNotCompleted: 1 })
    expect(await version(own)).toEqual({ version: 1, dirty: false })
  })

  it("locates a failure the server does not position without running any statement again", async () => {
    const setup = {
      "000001_t.up.sql": "CREATE TABLE t (id int CHECK (id > 0));\nCREATE SEQUENCE s;",
      "000001_t.down.sql": "DROP TABLE t; DROP SEQUENCE s;",
    }
    // nextval is not undone by a rollback: each run of the file advances it once.
    const lastValue = async (url: string) =>
      (await sql(url, "SELECT last_value::int AS n FROM s"))[0]
    const effects =
      "-- a side effect no rollback undoes, then a check violation (no error position)\nSELECT nextval('s');\nINSERT INTO t VALUES (1);\n\n  INSERT INTO t VALUES (-1);\nSELECT 2;\n"

    // In a chain of messages (the first attempt) and on its own (the retry path).
    const url = await fresh()
    const dir = await migrationDir({
      ...setup,
      "000002_effects.up.sql": effects,
      "000002_effects.down.sql": "SELECT 1;",
    })
    const { result: failed } = await withMigrator(url, dir, (m) => Effect.flip(m.up()))
    expect(failed).toMatchObject({ version: 2, line: 5, column: 3, sqlState: "23514" })
    expect(failed.message).toContain("000002_effects.up.sql:5:3")
    expect(await lastValue(url)).toEqual({ n: 1 })
    const { result: again } = await withMigrator(url, dir, (m) => Effect.flip(m.up()))
    expect(again).toMatchObject({ version: 2, line: 5, column: 3 })
    expect(await lastValue(url)).toEqual({ n: 2 })

    // --tx-mode all: the file inside the run's transaction.
    const all = await fresh()
    const { result: whole } = await withMigrator(all, dir, (m) => Effect.flip(m.up()), {
      txMode: "all",
    })
    expect(whole).toMatchObject({ version: 2, line: 5, column: 3, sqlState: "23514" })

    // A no-transaction file: sent alone, in autocommit; a division by zero has no position.
    const dirty = await fresh()
    const autocommit = await migrationDir({
      ...setup,
      "000002_effects.up.sql":
        "-- coder:no-transaction\nSELECT nextval('s');\nSELECT 1;\nSELECT 1 / 0;\n",
      "000002_effects.down.sql": "SELECT 1;",
    })
    const { result: broken } = await withMigrator(dirty, autocommit, (m) => Effect.flip(m.up()))
    expect(broken).toMatchObject({ version: 2, dirty: true, line: 4, column: 1, sqlState: "22012" })
    expect(await lastValue(dirty)).toEqual({ n: 1 })
  })

  it("--tx-mode all refuses, before running anything, a file that commits by itself", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_rows.up.sql": "INSERT INTO t VALUES (1);",
      "000002_rows.down.sql": "DELETE FROM t;",
      "000003_commits.up.sql": "INSERT INTO t VALUES (2);\n  COMMIT;\nSELECT 1 / 0;\n",
      "000003_commits.down.sql": "SELECT 1;",
    })
    const { result: refused } = await withMigrator(url, dir, (m) => Effect.flip(m.up()), {
      txMode: "all",
    })
    expect(refused).toMatchObject({
      _tag: "InvalidMigrationRequest",
      reason: "transaction-control-in-run-transaction",
      line: 2,
      column: 3,
      statement: "COMMIT",
    })
    expect(refused.message).toContain("000003_commits.up.sql:2:3")
    expect(refused.message).toContain("(COMMIT)")
    // Nothing ran: its COMMIT would have kept versions 1 and 2 while the run "rolled back".
    expect(
      await sql(
        url,
        "SELECT to_regclass('t')::text AS t, to_regclass('schema_migrations')::text AS s",
      ),
    ).toEqual([{ t: null, s: null }])
  })

  it("sends each migration as one message, and a file that ends unfinished takes in nothing after it", async () => {
    const url = await fresh()
    const good = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      // No final semicolon, and a line comment with no newline after it.
      "000002_rows.up.sql": "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2) -- the last line",
      "000002_rows.down.sql": "DELETE FROM t",
    })
    const statements: Array<string> = []
    await withMigrator(url, good, (m) =>
      Effect.gen(function* () {
        const db = yield* Db
        db.addObserver({ onQuery: (event) => statements.push(event.name) })
        return yield* m.up()
      }),
    )
    // One statement per migration: no separate version write.
    expect(statements.filter((name) => name === "ApplyMigration")).toHaveLength(2)
    expect(statements).not.toContain("SetMigrationVersion")
    expect(await version(url)).toEqual({ version: 2, dirty: false })
    expect(await sql(url, "SELECT id FROM t ORDER BY id")).toEqual([{ id: 1 }, { id: 2 }])
    const [history] = await sql(
      url,
      `SELECT name, checksum, applied_by, duration_ms >= 0 AS timed, finished_at >= started_at AS ordered
         FROM coderops_migration_history WHERE version = 2`,
    )
    expect(history).toMatchObject({ name: "000002_rows.up.sql", timed: true, ordered: true })
    expect(history?.applied_by).toContain(`coderops pid ${process.pid}`)

    // Wrapped in its own BEGIN/COMMIT, as many golang-migrate directories are: applied,
    // and the version row still written.
    const wrapped = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_rows.up.sql": "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2) -- the last line",
      "000002_rows.down.sql": "DELETE FROM t",
      "000003_wrapped.up.sql": "BEGIN;\nINSERT INTO t VALUES (30);\nCOMMIT;\n",
      "000003_wrapped.down.sql": "DELETE FROM t WHERE id = 30;",
    })
    await withMigrator(url, wrapped, (m) => m.up())
    expect(await version(url)).toEqual({ version: 3, dirty: false })
    expect(await sql(url, "SELECT count(*)::int AS n FROM t WHERE id = 30")).toEqual([{ n: 1 }])
    await withMigrator(url, wrapped, (m) => m.down({ count: 1 }))
    expect(await version(url)).toEqual({ version: 2, dirty: false })

    // Each file ends inside something that a quote, comment or statement after it could
    // close; the server must reject the whole message, so its first INSERT never runs.
    const unfinished = {
      "000003_quote.up.sql": "INSERT INTO t VALUES (3);\nSELECT length('abc",
      "000003_comment.up.sql": "INSERT INTO t VALUES (3);\n/* not closed\n",
      "000003_dollar.up.sql": "INSERT INTO t VALUES (3);\nDO $x$ BEGIN PERFORM 1;",
      "000003_ident.up.sql": 'INSERT INTO t VALUES (3);\nSELECT "abc',
      "000003_statement.up.sql": "INSERT INTO t VALUES (3);\nINSERT INTO t VALUES (",
      "000003_atomic.up.sql":
        "INSERT INTO t VALUES (3);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1;",
    }
    for (const [name, text] of Object.entries(unfinished)) {
      const dir = await migrationDir({
        "000001_t.up.sql": "CREATE TABLE t (id int);",
        "000001_t.down.sql": "DROP TABLE t;",
        "000002_rows.up.sql": "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2)",
        "000002_rows.down.sql": "DELETE FROM t",
        [name]: text,
        [name.replace(".up.", ".down.")]: "SELECT 1;",
      })
      const { result: failed } = await withMigrator(url, dir, (m) => Effect.flip(m.up()))
      expect(failed, name).toMatchObject({
        _tag: "MigrationFailed",
        version: 3,
        line: 2,
        sqlState: "42601",
      })
      expect(failed.message, name).toContain(`${name}:2:`)
      // The message is the parser's on the file alone, never quoting the text after it.
      expect(failed.message, name).not.toMatch(/decode|schema_migrations|COMMIT/)
      expect(await version(url), name).toEqual({ version: 2, dirty: false })
      expect(await sql(url, "SELECT count(*)::int AS n FROM t WHERE id = 3"), name).toEqual([
        { n: 0 },
      ])
    }
  })

  it("writes the version to the state table it read, whatever search_path a migration sets", async () => {
    const url = await fresh()
    // Another tool's golang-migrate table, in a schema a migration puts first.
    await sql(
      url,
      "CREATE SCHEMA app; CREATE TABLE app.schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO app.schema_migrations VALUES (20240101, false)",
    )
    const dir = await migrationDir({
      "000001_base.up.sql": "CREATE TABLE base (x int);",
      "000001_base.down.sql": "DROP TABLE base;",
      // As pg_dump writes it: an empty search_path, then qualified names.
      "000002_dump.up.sql":
        "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.b (x int);\n",
      "000002_dump.down.sql": "DROP TABLE public.b;",
      "000003_app.up.sql": "SET search_path = app, public;\nCREATE TABLE c (x int);\n",
      "000003_app.down.sql": "DROP TABLE app.c;",
    })
    await withMigrator(url, dir, (m) => m.up())
    expect(await version(url)).toEqual({ version: 3, dirty: false })
    expect(await sql(url, "SELECT version::int FROM app.schema_migrations")).toEqual([
      { version: 20240101 },
    ])
    expect(
      await sql(url, "SELECT version::int FROM public.coderops_migration_history ORDER BY id"),
    ).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }])
  })

  it("applies fixtures after up migrations only, also when the state table's schema needs quotes", async () => {
    const base = await fresh()
    await sql(base, 'CREATE SCHEMA "Odd Schema"')
    // Every session of the migrator works in that schema; its version writes need quotes.
    const url = `${base}${base.includes("?") ? "&" : "?"}search_path=${encodeURIComponent('"Odd Schema"')}`
    const dir = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
    })
    const { mkdir, writeFile } = await import("node:fs/promises")
    await mkdir(`${dir}/testdata/fixtures`, { recursive: true })
    await writeFile(`${dir}/testdata/fixtures/000001_rows.up.sql`, "INSERT INTO t VALUES (1);\n")
    await withMigrator(url, dir, (m) => m.up(), { applyFixtures: true })
    expect(await sql(base, 'SELECT id FROM "Odd Schema".t')).toEqual([{ id: 1 }])
    // Going down, the fixture of version 1 must not run after its table is dropped.
    await withMigrator(url, dir, (m) => m.down({ count: 1 }), { applyFixtures: true })
    expect(await sql(base, 'SELECT version::int FROM "Odd Schema".schema_migrations')).toEqual([])
    expect(await sql(base, "SELECT to_regclass('\"Odd Schema\".t') AS t")).toEqual([{ t: null }])
  })

  it("names the fixture that failed, not its migration", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
    })
    const { mkdir, writeFile } = await import("node:fs/promises")
    await mkdir(`${dir}/testdata/fixtures`, { recursive: true })
    await writeFile(
      `${dir}/testdata/fixtures/000001_rows.up.sql`,
      "INSERT INTO t VALUES (1);\nINSERT INTO t VALUES ('x');\n",
    )
    const { result: failed } = await withMigrator(url, dir, (m) => Effect.flip(m.up()), {
      applyFixtures: true,
    })
    expect(failed).toMatchObject({
      _tag: "MigrationFailed",
      version: 1,
      line: 2,
      sqlState: "22P02",
    })
    expect((failed as { file: string }).file).toMatch(/testdata\/fixtures\/000001_rows\.up\.sql$/)
    expect(failed.message).toContain("fixture 000001_rows.up.sql of migration 000001_t.up.sql")
    expect(await version(url)).toBeUndefined()
  })

  it("--tx-mode all: refuses a no-transaction migration up front, and says the whole run was rolled back", async () => {
    const url = await fresh()
    const concurrent = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_idx.up.sql": "-- coder:no-transaction\nCREATE INDEX CONCURRENTLY t_idx ON t (id);",
      "000002_idx.down.sql": "-- coder:no-transaction\nDROP INDEX CONCURRENTLY t_idx;",
    })
    const { result: refused } = await withMigrator(url, concurrent, (m) => Effect.flip(m.up()), {
      txMode: "all",
    })
    expect(refused).toMatchObject({
      _tag: "InvalidMigrationRequest",
      reason: "no-transaction-in-run-transaction",
    })
    expect(refused.message).toContain("000002_idx.up.sql")
    expect(await sql(url, "SELECT to_regclass('t')::text AS t")).toEqual([{ t: null }])

    const failing = await migrationDir({
      "000001_t.up.sql": "CREATE TABLE t (id int);",
      "000001_t.down.sql": "DROP TABLE t;",
      "000002_bad.up.sql": "INSERT INTO t VALUES (1);\nSELECT nocolumn FROM t;\n",
      "000002_bad.down.sql": "SELECT 1;",
    })
    const { result: failed } = await withMigrator(url, failing, (m) => Effect.flip(m.up()), {
      txMode: "all",
    })
    expect(failed).toMatchObject({ _tag: "MigrationFailed", version: 2, line: 2, column: 8 })
    expect(failed).toMatchObject({ outcome: "run-rolled-back" })
    expect(await sql(url, "SELECT to_regclass('t')::text AS t")).toEqual([{ t: null }])
  })

  it("--tx-mode all: one message per migration, and each history row times its own migration", async () => {
    const url = await fresh()
    const napping = (n: number) => ({
      [`00000${n}_nap.up.sql`]: `CREATE TABLE nap_${n} (id int);\nSELECT pg_sleep(0.2);`,
      [`00000${n}_nap.down.sql`]: `DROP TABLE nap_${n};`,
    })
    const { result: statements } = await withMigrator(
      url,
      await migrationDir({ ...napping(1), ...napping(2), ...napping(3) }),
      (m) =>
        Effect.gen(function* () {
          const statements: Array<string> = []
          ;(yield* Db).addObserver({ onQuery: (event) => statements.push(event.name) })
          yield* m.up()
          return statements
        }),
      { txMode: "all" },
    )
    expect(statements.filter((name) => /^(Apply|SetMigration)/.test(name))).toEqual([
      "ApplyMigration",
      "ApplyMigration",
      "ApplyMigration",
    ])
    expect(await version(url)).toEqual({ version: 3, dirty: false })
    // Not the run's transaction start: each row starts when its migration did, and lasts
    // its own 0.2 s, not the run's so far.
    expect(
      await sql(
        url,
        `SELECT version::int, duration_ms BETWEEN 190 AND 390 AS own_duration,
                started_at >= lag(finished_at) OVER (ORDER BY version) AS after_previous
           FROM coderops_migration_history ORDER BY version`,
      ),
    ).toEqual([
      { version: 1, own_duration: true, after_previous: null },
      { version: 2, own_duration: true, after_previous: true },
      { version: 3, own_duration: true, after_previous: true },
    ])
  })

  it("commits migrations without waiting for the disk but for the last, and flushes after a failure", async () => {
    // The session default is on (the test server's own is off), so the migrations'
    // setting is their own.
    const url = `${await fresh()}?synchronous_commit=on`
    const seen = "INSERT INTO seen (setting) VALUES (current_setting('synchronous_commit'));"
    const walPosition = "INSERT INTO wal SELECT pg_current_wal_insert_lsn();"
    const files = {
      "000001_seen.up.sql": `CREATE TABLE seen (id serial, setting text);\n${seen}`,
      "000001_seen.down.sql": "DROP TABLE seen;",
      "000002_wal.up.sql": `CREATE TABLE wal (before_commit pg_lsn);\n${seen}\n${walPosition}`,
      "000002_wal.down.sql": "DROP TABLE wal;",
    }
    const observed = (dir: string, up: boolean) =>
      withMigrator(url, dir, (m) =>
        Effect.gen(function* () {
          const db = yield* Db
          const statements: Array<string> = []
          db.addObserver({ onQuery: (event) => statements.push(event.name) })
          yield* up ? m.up() : Effect.flip(m.up())
          return statements
        }),
      )
    // When up returns, WAL is flushed past the last migration's writes: its commit waited.
    // (With no commit that waits, the flush position was still behind them.)
    const flushedPastLastMigration = async () =>
      (
        await sql(url, "SELECT pg_current_wal_flush_lsn() > max(before_commit) AS flushed FROM wal")
      )[0]

    const { result: succeeded } = await observed(await migrationDir(files), true)
    expect(await sql(url, "SELECT setting FROM seen ORDER BY id")).toEqual([
      { setting: "off" },
      { setting: "on" },
    ])
    expect(succeeded.filter((name) => /^(Apply|Rollback|Flush)/.test(name))).toEqual([
      "ApplyMigration",
      "ApplyMigration",
    ])
    expect(await flushedPastLastMigration()).toEqual({ flushed: true })

    // A failed run flushes what it committed before the failure.
    const { result: failed } = await observed(
      await migrationDir({
        ...files,
        "000003_more.up.sql": `${seen}\n${walPosition}`,
        "000003_more.down.sql": "SELECT 1;",
        "000004_bad.up.sql": "SELECT 1/0;",
        "000004_bad.down.sql": "SELECT 1;",
      }),
      false,
    )
    expect(failed.filter((name) => /^(Apply|Rollback|Flush)/.test(name))).toEqual([
      "ApplyMigration",
      "ApplyMigration",
      "RollbackMigration",
      "FlushMigrationCommits",
    ])
    expect(await version(url)).toEqual({ version: 3, dirty: false })
    expect((await sql(url, "SELECT setting FROM seen ORDER BY id"))[2]).toEqual({
      setting: "off",
    })
    expect(await flushedPastLastMigration()).toEqual({ flushed: true })
  })

  it("applies statementTimeout to the statements of the migration's own message", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_slow.up.sql": "CREATE TABLE slow (id int);\nSELECT pg_sleep(5);",
      "000001_slow.down.sql": "DROP TABLE slow;",
    })
    const started = performance.now()
    const { result: failed } = await withMigrator(url, dir, (m) => Effect.flip(m.up()), {
      statementTimeout: "300 millis",
    })
    expect(performance.now() - started).toBeLessThan(4000)
    expect(failed).toMatchObject({ _tag: "MigrationFailed", version: 1, sqlState: "57014" })
    expect(failed).toMatchObject({ reason: "statement-timeout" })
    expect(await sql(url, "SELECT to_regclass('slow')::text AS slow")).toEqual([{ slow: null }])
  })

  it("explains a COPY FROM STDIN, which no migration file can feed", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_copy.up.sql": "CREATE TABLE b (x int);\nCOPY b FROM stdin;\n",
      "000001_copy.down.sql": "DROP TABLE b;",
    })
    const { result: failed } = await withMigrator(url, dir, (m) => Effect.flip(m.up()))
    expect(failed).toMatchObject({ _tag: "MigrationFailed", version: 1, sqlState: "57014" })
    expect(failed).toMatchObject({ reason: "copy-from-stdin" })
    expect(await sql(url, "SELECT to_regclass('b')::text AS b")).toEqual([{ b: null }])
  })

  it("never turns a sub-millisecond lock_timeout into no timeout", async () => {
    const url = await fresh()
    const dir = await migrationDir({
      "000001_seen.up.sql":
        "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout;",
      "000001_seen.down.sql": "DROP TABLE seen;",
    })
    await withMigrator(url, dir, (m) => m.up(), {
      lockTimeout: Duration.micros(400n),
    })
    expect(await sql(url, "SELECT lock_timeout FROM seen")).toEqual([{ lock_timeout: "1ms" }])
  })

  it("refuses a Coder v1 database and reports drift of applied files", async () => {
    const v1 = await fresh()
    await sql(v1, "CREATE TABLE migration_cursor (x int)")
    const dir = await migrationDir({
      "000001_a.up.sql": "CREATE TABLE a (id int);",
      "000001_a.down.sql": "DROP TABLE a;",
    })
    const { result: refused } = await withMigrator(v1, dir, (m) => Effect.flip(m.up()))
    expect(refused._tag).toBe("CoderV1Database")

    const url = await fresh()
    await withMigrator(url, dir, (m) => m.up())
    const { writeFile } = await import("node:fs/promises")
    await writeFile(`${dir}/000001_a.up.sql`, "CREATE TABLE a (id bigint);")
    const { result: status } = await withMigrator(url, dir, (m) => m.status)
    expect(status.migrations[0]).toMatchObject({ version: 1, applied: true, drift: true })
  })
})
