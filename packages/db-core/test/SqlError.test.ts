import * as PostgresCluster from "@coderops/pg-server"
import { databaseUrl, useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Latch from "effect/Latch"
import { describe, expect, it } from "vitest"
import { Db, isTransient, parseDatabaseUrl, transientRetry } from "../src/index.js"
import { failureOf, runWithDb } from "./support.js"

const database = useTestDatabase()

const schema = Db.use((db) =>
  db.script(
    "CreateSchema",
    `DROP TABLE IF EXISTS child, parent, counter;
     CREATE TABLE parent (id int PRIMARY KEY, name text CONSTRAINT parent_name_key UNIQUE);
     CREATE TABLE child (id int PRIMARY KEY, parent_id int CONSTRAINT child_parent_fk REFERENCES parent(id));
     CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL);
     INSERT INTO parent VALUES (1, 'one'), (2, 'two');
     INSERT INTO counter VALUES (1, 0), (2, 0);`,
  ),
)

const withUrl = (mutate: (url: URL) => void) => {
  const url = new URL(database.url)
  mutate(url)
  return url.toString()
}

describe("errors mapped from real server failures", () => {
  it("unique violation carries the constraint", async () => {
    await runWithDb(database.url, schema)
    const error = await failureOf(
      database.url,
      Db.use((db) => db.execute("InsertParent", "INSERT INTO parent VALUES (3, 'one')")),
    )
    expect(error).toMatchObject({
      _tag: "UniqueViolation",
      sqlState: "23505",
      constraint: "parent_name_key",
      table: "parent",
      query: "InsertParent",
    })
  })

  it("foreign-key violation carries the constraint", async () => {
    await runWithDb(database.url, schema)
    const error = await failureOf(
      database.url,
      Db.use((db) => db.execute("InsertChild", "INSERT INTO child VALUES (1, 99)")),
    )
    expect(error).toMatchObject({ _tag: "ForeignKeyViolation", constraint: "child_parent_fk" })
  })

  it("lock not available when lock_timeout expires behind a held lock", async () => {
    await runWithDb(database.url, schema)
    const error = await runWithDb(
      database.url,
      Db.use((db) =>
        Effect.gen(function* () {
          const locked = yield* Latch.make()
          const done = yield* Latch.make()
          const holder = yield* Effect.forkChild(
            db.transaction(
              "HoldLock",
              Effect.andThen(
                db.execute("LockParent", "LOCK TABLE parent IN ACCESS EXCLUSIVE MODE"),
                Effect.andThen(locked.open, done.await),
              ),
            ),
          )
          yield* locked.await
          const error = yield* Effect.flip(
            db.transaction(
              "Blocked",
              Effect.andThen(
                db.execute("SetLockTimeout", "SET LOCAL lock_timeout = '100ms'"),
                db.query("ReadParent", "SELECT * FROM parent"),
              ),
            ),
          )
          yield* done.open
          yield* Fiber.join(holder)
          return error
        }),
      ),
    )
    expect(error).toMatchObject({
      _tag: "LockNotAvailable",
      sqlState: "55P03",
      query: "ReadParent",
    })
    expect(isTransient(error as never)).toBe(true)
  })

  it("deadlock between two transactions", async () => {
    await runWithDb(database.url, schema)
    const outcomes = await runWithDb(
      database.url,
      Db.use((db) =>
        Effect.gen(function* () {
          const bothLocked = yield* Latch.make()
          let ready = 0
          const side = (first: number, second: number) =>
            db.transaction(
              `Side${first}`,
              Effect.gen(function* () {
                yield* db.execute("LockRow", "UPDATE counter SET n = n + 1 WHERE id = $1", [first])
                if (++ready === 2) yield* bothLocked.open
                yield* bothLocked.await
                yield* db.execute("LockRow", "UPDATE counter SET n = n + 1 WHERE id = $1", [second])
              }),
            )
          return yield* Effect.all([Effect.result(side(1, 2)), Effect.result(side(2, 1))], {
            concurrency: 2,
          })
        }),
      ),
    )
    const failures = outcomes
      .filter((o) => o._tag === "Failure")
      .map((o) => (o as { failure: { _tag: string } }).failure)
    expect(failures.map((f) => f._tag)).toEqual(["DeadlockDetected"])
  })

  it("serialization failure under SERIALIZABLE", async () => {
    await runWithDb(database.url, schema)
    const outcomes = await runWithDb(
      database.url,
      Db.use((db) =>
        Effect.gen(function* () {
          const bothRead = yield* Latch.make()
          let ready = 0
          const side = (id: number) =>
            db.transaction(
              `Writer${id}`,
              Effect.gen(function* () {
                yield* db.query("SumCounters", "SELECT sum(n) FROM counter")
                if (++ready === 2) yield* bothRead.open
                yield* bothRead.await
                yield* db.execute("Bump", "UPDATE counter SET n = n + 1 WHERE id = $1", [id])
              }),
              { isolation: "serializable" },
            )
          return yield* Effect.all([Effect.result(side(1)), Effect.result(side(2))], {
            concurrency: 2,
          })
        }),
      ),
    )
    const tags = outcomes
      .filter((o) => o._tag === "Failure")
      .map((o) => (o as { failure: { _tag: string } }).failure._tag)
    expect(tags).toEqual(["SerializationFailure"])
  })

  it("query canceled by statement_timeout", async () => {
    const error = await failureOf(
      withUrl(() => {}),
      Db.use((db) =>
        db.transaction(
          "Slow",
          Effect.andThen(
            db.execute("SetTimeout", "SET LOCAL statement_timeout = '50ms'"),
            db.query("Sleep", "SELECT pg_sleep(2)"),
          ),
        ),
      ),
    )
    expect(error).toMatchObject({
      _tag: "QueryCanceled",
      reason: "statement_timeout",
      sqlState: "57014",
    })
  })

  it("syntax error in a script gives the line and column of the failing statement", async () => {
    const script = "CREATE TABLE ok_one (id int);\n\n-- a comment\nSELEC 1;\n"
    const error = await failureOf(
      database.url,
      Db.use((db) => db.script("BadScript", script)),
    )
    expect(error).toMatchObject({ _tag: "SqlSyntaxError", sqlState: "42601", line: 4, column: 1 })
  })

  it("connection refused on a port nothing listens on", async () => {
    const port = await PostgresCluster.freePort()
    const error = await failureOf(
      withUrl((url) => {
        url.port = String(port)
      }),
      Db.use((db) => db.query("Ping", "SELECT 1")),
    )
    expect(error).toMatchObject({ _tag: "ConnectionFailed", code: "ECONNREFUSED" })
    expect(String((error as { target: string }).target)).toContain(`:${port}/`)
    expect(isTransient(error as never)).toBe(true)
  })

  it("authentication failed on a wrong password, without leaking it", async () => {
    const error = await failureOf(
      withUrl((url) => {
        url.password = "definitely-wrong-password"
      }),
      Db.use((db) => db.query("Ping", "SELECT 1")),
    )
    expect(error).toMatchObject({
      _tag: "AuthenticationFailed",
      sqlState: "28P01",
      user: "postgres",
    })
    expect(JSON.stringify(error)).not.toContain("definitely-wrong-password")
  })

  it("database does not exist", async () => {
    const error = await failureOf(
      databaseUrl("no_such_db"),
      Db.use((db) => db.query("Ping", "SELECT 1")),
    )
    expect(error).toMatchObject({
      _tag: "DatabaseNotFound",
      sqlState: "3D000",
      database: "no_such_db",
    })
  })

  it("a malformed URL is refused before connecting, password redacted", async () => {
    const error = await Effect.runPromise(
      Effect.flip(
        parseDatabaseUrl("postgres://coder:s3cret@db.example:notaport/coder", "DATABASE_URL"),
      ),
    )
    expect(error._tag).toBe("InvalidDatabaseConfig")
    expect(error.message).toContain("DATABASE_URL")
    expect(error.message).not.toContain("s3cret")
  })
})

describe("transientRetry", () => {
  it("retries a transient failure and gives up after the attempts", async () => {
    let attempts = 0
    const error = await failureOf(
      database.url,
      Db.use((db) =>
        Effect.suspend(() => {
          attempts++
          return db.transaction(
            "AlwaysLocked",
            db.execute(
              "Fail",
              "DO $$ BEGIN RAISE EXCEPTION 'busy' USING ERRCODE = '55P03'; END $$",
            ),
          )
        }).pipe(
          Effect.retry({
            schedule: transientRetry({ attempts: 3, base: "1 millis" }),
            while: isTransient,
          }),
        ),
      ),
    )
    expect(error._tag).toBe("LockNotAvailable")
    expect(attempts).toBe(3)
  })
})
