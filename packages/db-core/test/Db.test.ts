import { sql, useTestDatabase } from "@coderops/test-postgres"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Latch from "effect/Latch"
import * as Option from "effect/Option"
import { describe, expect, it } from "vitest"
import { Db, parseDatabaseUrl, type QueryEvent, type TransactionEvent } from "../src/index.js"
import { failureOf, runWithDb } from "./support.js"

const database = useTestDatabase()

const setup = Db.use((db) =>
  db.script(
    "CreateTables",
    `CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, name text NOT NULL);
     TRUNCATE items;`,
  ),
)

describe("Db", () => {
  it("runs named, parameterised queries", async () => {
    const rows = await runWithDb(
      database.url,
      Db.use((db) =>
        db.query<{ sum: number }>("AddNumbers", "SELECT $1::int + $2::int AS sum", [2, 40]),
      ),
    )
    expect(rows).toEqual([{ sum: 42 }])
  })

  it("rolls back a failed transaction", async () => {
    await runWithDb(database.url, setup)
    const error = await failureOf(
      database.url,
      Db.use((db) =>
        db.transaction(
          "InsertThenFail",
          Effect.gen(function* () {
            yield* db.execute("InsertItem", "INSERT INTO items VALUES ($1, $2)", [1, "one"])
            return yield* Effect.fail("boom" as const)
          }),
        ),
      ),
    )
    expect(error).toBe("boom")
    const count = await runWithDb(
      database.url,
      Db.use((db) => db.query<{ n: string }>("CountItems", "SELECT count(*) AS n FROM items")),
    )
    expect(count[0]?.n).toBe("0")
  })

  it("commits a successful transaction and rolls back only a failed nested one", async () => {
    await runWithDb(database.url, setup)
    await runWithDb(
      database.url,
      Db.use((db) =>
        db.transaction(
          "Outer",
          Effect.gen(function* () {
            yield* db.execute("InsertItem", "INSERT INTO items VALUES (1, 'kept')")
            yield* Effect.ignore(
              db.transaction(
                "Inner",
                Effect.andThen(
                  db.execute("InsertItem", "INSERT INTO items VALUES (2, 'dropped')"),
                  Effect.fail("inner failed"),
                ),
              ),
            )
          }),
        ),
      ),
    )
    const rows = await runWithDb(
      database.url,
      Db.use((db) => db.query<{ id: number }>("ListItems", "SELECT id FROM items ORDER BY id")),
    )
    expect(rows).toEqual([{ id: 1 }])
  })

  it("runs a multi-statement script as one implicit transaction", async () => {
    const error = await failureOf(
      database.url,
      Db.use((db) =>
        db.script(
          "HalfScript",
          "CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\nSELECT 1/0;",
        ),
      ),
    )
    expect(error._tag).toBe("QueryFailed")
    // The server completed two statements before the third failed (no error position).
    expect(error).toMatchObject({ sqlState: "22012", query: "HalfScript", statementIndex: 2 })
    const exists = await runWithDb(
      database.url,
      Db.use((db) =>
        db.query<{ t: string | null }>("FindTable", "SELECT to_regclass('half_done')::text AS t"),
      ),
    )
    expect(exists).toEqual([{ t: null }])
  })

  it("loads rows with COPY FROM STDIN", async () => {
    await runWithDb(database.url, setup)
    function* lines() {
      for (let i = 1; i <= 5000; i++) yield `${i}\titem ${i}\n`
    }
    const loaded = await runWithDb(
      database.url,
      Db.use((db) => db.copyFrom("CopyItems", "COPY items (id, name) FROM STDIN", lines())),
    )
    expect(loaded).toBe(5000)
    const rows = await runWithDb(
      database.url,
      Db.use((db) =>
        db.query<{ n: string; last: string }>(
          "CountItems",
          "SELECT count(*) AS n, max(name) FILTER (WHERE id = 5000) AS last FROM items",
        ),
      ),
    )
    expect(rows).toEqual([{ n: "5000", last: "item 5000" }])
  })

  it("COPY: onSent hears of each chunk once it is written to the connection, in order", async () => {
    await runWithDb(database.url, setup)
    // Chunks smaller than the stream's buffer: it takes several before it asks to wait.
    const chunks = 400
    let produced = 0
    function* source() {
      for (let c = 0; c < chunks; c++) {
        produced++
        let text = ""
        for (let i = 0; i < 100; i++) text += `${c * 100 + i + 1}\t${"x".repeat(60)}\n`
        yield text
      }
    }
    // How many chunks had been made when each was heard of as sent.
    const madeWhenSent: Array<number> = []
    const loaded = await runWithDb(
      database.url,
      Db.use((db) =>
        db.copyFrom("CopyItems", "COPY items (id, name) FROM STDIN", source(), () =>
          madeWhenSent.push(produced),
        ),
      ),
    )
    expect(loaded).toBe(chunks * 100)
    expect(madeWhenSent).toHaveLength(chunks)
    expect(madeWhenSent.every((made, index) => made >= index + 1)).toBe(true)
    // Chunks are made ahead of the connection: counted when made, the count would run ahead.
    expect(madeWhenSent.some((made, index) => made > index + 1)).toBe(true)
  })

  it("COPY: a source that fails ends the COPY, and the session is usable again", async () => {
    await runWithDb(database.url, setup)
    function* source() {
      yield "1\tone\n"
      throw new Error("generator broke")
    }
    const { copied, rows } = await runWithDb(
      database.url,
      Db.use((db) =>
        Effect.gen(function* () {
          const copied = yield* Effect.exit(
            db.copyFrom("CopyItems", "COPY items (id, name) FROM STDIN", source()),
          )
          const rows = yield* db.query<{ n: string }>(
            "CountItems",
            "SELECT count(*) AS n FROM items",
          )
          return { copied, rows }
        }),
      ),
    )
    expect(Exit.isFailure(copied)).toBe(true)
    expect(rows).toEqual([{ n: "0" }])
  })

  it("reports every statement and transaction to observers", async () => {
    const queries: Array<QueryEvent> = []
    const transactions: Array<TransactionEvent> = []
    await runWithDb(
      database.url,
      Db.use((db) => {
        const remove = db.addObserver({
          onQuery: (event) => queries.push(event),
          onTransaction: (event) => transactions.push(event),
        })
        return Effect.gen(function* () {
          yield* setup
          yield* db.transaction(
            "InsertTwo",
            db.execute("InsertItems", "INSERT INTO items VALUES (1, 'a'), (2, 'b')"),
          )
          yield* Effect.ignore(db.query("Broken", "SELECT * FROM no_such_table"))
          remove()
          yield* db.query("Unobserved", "SELECT 1")
        })
      }),
    )
    expect(queries.map((q) => [q.name, q.kind, q.outcome, q.rowCount])).toEqual([
      ["CreateTables", "script", "ok", 0],
      ["InsertItems", "query", "ok", 2],
      ["Broken", "query", "error", 0],
    ])
    expect(queries[2]?.error).toBe("QueryFailed")
    for (const q of queries) expect(q.durationSeconds).toBeGreaterThan(0)
    expect(transactions).toEqual([
      expect.objectContaining({ name: "InsertTwo", outcome: "commit" }),
    ])
  })
})

describe("script chains", () => {
  const chainTable = Db.use((db) =>
    db.script(
      "CreateChainTable",
      `CREATE TABLE IF NOT EXISTS chained (step int, started timestamptz);
       TRUNCATE chained;`,
    ),
  )
  /** A chain of `scripts` sent one by one, with the durations `onDone` heard. */
  const chainOf = (scripts: ReadonlyArray<string>, onDone?: (index: number) => void) =>
    Db.use((db) =>
      Effect.gen(function* () {
        yield* chainTable
        let sent = 0
        const heard: Array<number> = []
        const exit = yield* Effect.exit(
          db.scriptChain(
            "Chained",
            () => scripts[sent++],
            (seconds) => {
              heard.push(seconds)
              onDone?.(heard.length - 1)
            },
          ),
        )
        return { exit, heard }
      }),
    )
  const errorOf = <A, E>(exit: Exit.Exit<A, E>) =>
    Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
  const step = (n: number, then = "") =>
    `INSERT INTO chained VALUES (${n}, statement_timestamp());${then}`

  it("sends each script once the one before it succeeded, before the caller hears of that one", async () => {
    const heardAt: Array<number> = []
    const { exit, heard } = await runWithDb(
      database.url,
      chainOf([step(1, "SELECT pg_sleep(0.2)"), step(2), step(3)], (index) => {
        heardAt.push(Date.now())
        // The caller is slow with the first result: the server must not wait for it.
        if (index === 0) while (Date.now() - heardAt[0]! < 300) {}
      }),
    )
    expect(exit._tag).toBe("Success")
    expect(heard).toHaveLength(3)
    expect(heard[0]).toBeGreaterThanOrEqual(0.2)
    const rows = (await sql(
      database.url,
      "SELECT step, (extract(epoch FROM started) * 1000)::float8 AS at FROM chained ORDER BY started",
    )) as Array<{ step: number; at: number }>
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3])
    // Script 2 started while the caller was still busy with script 1's result.
    expect(rows[1]!.at).toBeLessThan(heardAt[0]! + 150)
  })

  it("stops at the first failure and sends nothing after it", async () => {
    const { exit, heard } = await runWithDb(
      database.url,
      chainOf([step(1), step(2, "SELECT 1/0;"), step(3)]),
    )
    expect(heard).toHaveLength(1)
    expect(errorOf(exit)).toMatchObject({
      _tag: "QueryFailed",
      sqlState: "22012",
      query: "Chained",
    })
    expect(await sql(database.url, "SELECT step FROM chained ORDER BY step")).toEqual([{ step: 1 }])
  })

  it("ends as a defect when the caller's code throws, once the script already sent has ended", async () => {
    const { exit } = await runWithDb(
      database.url,
      chainOf([step(1), step(2), step(3)], (index) => {
        if (index === 0) throw new Error("caller bug")
      }),
    )
    expect(exit._tag === "Failure" && Cause.hasDies(exit.cause)).toBe(true)
    // Script 2 was on its way when the caller heard of script 1; script 3 never went.
    expect(await sql(database.url, "SELECT step FROM chained ORDER BY step")).toEqual([
      { step: 1 },
      { step: 2 },
    ])
  })

  it("interrupted, lets the running script end, sends no other, and keeps its failure", async () => {
    for (const failing of [false, true]) {
      const outcome = await runWithDb(
        database.url,
        Effect.gen(function* () {
          yield* chainTable
          const scripts = [step(1, `SELECT pg_sleep(0.4);${failing ? "SELECT 1/0;" : ""}`), step(2)]
          const db = yield* Db
          const fiber = yield* Effect.forkChild(
            db.scriptChain(
              "Chained",
              () => scripts.shift(),
              () => {},
            ),
          )
          yield* Effect.sleep("150 millis")
          yield* Fiber.interrupt(fiber)
          return yield* Fiber.await(fiber)
        }),
      )
      const rows = await sql(database.url, "SELECT step FROM chained ORDER BY step")
      // Script 1 ran to its end (committed, or rolled back by its error); 2 never ran.
      expect(rows, `failing: ${failing}`).toEqual(failing ? [] : [{ step: 1 }])
      expect(outcome._tag === "Failure" && Cause.hasInterrupts(outcome.cause)).toBe(true)
      const error = errorOf(outcome)
      expect(error && "sqlState" in error ? error.sqlState : undefined, `failing: ${failing}`).toBe(
        failing ? "22012" : undefined,
      )
    }
  })
})

describe("advisory locks", () => {
  const key = 1037453835920848937n

  it("lets only one of two sessions hold a session lock", async () => {
    const result = await runWithDb(
      database.url,
      Db.use((db) =>
        Effect.gen(function* () {
          const holding = yield* Latch.make()
          const release = yield* Latch.make()
          const holder = yield* Effect.forkChild(
            db.withAdvisoryLock(key, Effect.andThen(holding.open, release.await), { wait: true }),
          )
          yield* holding.await
          const second = yield* Effect.flip(db.withAdvisoryLock(key, Effect.void, { wait: false }))
          yield* release.open
          yield* Fiber.join(holder)
          const third = yield* db.withAdvisoryLock(key, Effect.succeed("got it"), { wait: false })
          return { second, third }
        }),
      ),
    )
    expect(result.second._tag).toBe("AdvisoryLockBusy")
    expect(result.third).toBe("got it")
  })

  it("lets only one of two transactions take a transaction lock", async () => {
    const result = await runWithDb(
      database.url,
      Db.use((db) =>
        Effect.gen(function* () {
          const holding = yield* Latch.make()
          const release = yield* Latch.make()
          const first = yield* Effect.forkChild(
            db.transaction(
              "Leader",
              Effect.gen(function* () {
                const locked = yield* db.tryAdvisoryXactLock(7n)
                yield* holding.open
                yield* release.await
                return locked
              }),
            ),
          )
          yield* holding.await
          const second = yield* db.transaction("Follower", db.tryAdvisoryXactLock(7n))
          yield* release.open
          const firstLocked = yield* Fiber.join(first)
          const afterCommit = yield* db.transaction("Later", db.tryAdvisoryXactLock(7n))
          return { firstLocked, second, afterCommit }
        }),
      ),
    )
    expect(result).toEqual({ firstLocked: true, second: false, afterCommit: true })
  })

  it("refuses a transaction lock outside a transaction", async () => {
    const error = await failureOf(
      database.url,
      Db.use((db) => db.tryAdvisoryXactLock(7n)),
    )
    expect(error._tag).toBe("NotInTransaction")
  })
})

describe("interruption", () => {
  it("cancels the running statement on the server", async () => {
    const started = Date.now()
    const still = await runWithDb(
      database.url,
      Db.use((db) =>
        Effect.gen(function* () {
          const outcome = yield* Effect.timeout(
            db.query("LongSleep", "SELECT pg_sleep(5)"),
            "300 millis",
          ).pipe(Effect.flip)
          expect(outcome._tag).toBe("TimeoutError")
          return yield* db.query<{ n: number }>(
            "FindSleepers",
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)' AND state = 'active'",
          )
        }),
      ),
    )
    expect(Date.now() - started).toBeLessThan(3000)
    expect(still).toEqual([{ n: 0 }])
  })

  it("cancels it without a free pool connection, and does not reuse the cancelled one", async () => {
    // One connection, taken by the statement: a cancel that needed the pool would wait
    // for the statement it cancels.
    const settings = await Effect.runPromise(
      parseDatabaseUrl(database.url, "explicit", { poolSize: 1 }),
    )
    const started = Date.now()
    const [pids, still] = await Effect.runPromise(
      Effect.provide(
        Db.use((db) =>
          Effect.gen(function* () {
            const [before] = yield* db.query<{ pid: number }>(
              "FindPid",
              "SELECT pg_backend_pid() AS pid",
            )
            yield* Effect.timeout(db.query("LongSleep", "SELECT pg_sleep(5)"), "300 millis").pipe(
              Effect.flip,
            )
            const [after] = yield* db.query<{ pid: number }>(
              "FindPid",
              "SELECT pg_backend_pid() AS pid",
            )
            const sleepers = yield* db.query<{ n: number }>(
              "FindSleepers",
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)' AND state = 'active'",
            )
            return [[before!.pid, after!.pid], sleepers] as const
          }),
        ),
        Db.layerFrom(settings),
      ),
    )
    expect(Date.now() - started).toBeLessThan(3000)
    expect(still).toEqual([{ n: 0 }])
    // A cancel request can arrive after its statement ended: the connection is closed.
    expect(pids[1]).not.toBe(pids[0])
  })
})

describe("connections", () => {
  it("sends the URL's other parameters (search_path, options) to every session, as lib/pq does", async () => {
    const url = new URL(database.url)
    url.searchParams.set("search_path", "coderops_custom, public")
    url.searchParams.set("options", "-c work_mem=5MB")
    const rows = await runWithDb(
      url.toString(),
      Db.use((db) =>
        db.query<{ search_path: string; work_mem: string }>(
          "ShowSettings",
          "SELECT current_setting('search_path') AS search_path, current_setting('work_mem') AS work_mem",
        ),
      ),
    )
    expect(rows).toEqual([{ search_path: "coderops_custom, public", work_mem: "5MB" }])
  })

  it("reports a connection killed mid-statement as ConnectionFailed, without crashing", async () => {
    const error = await runWithDb(
      database.url,
      Db.use((db) =>
        db.withSession(
          Effect.gen(function* () {
            const [me] = yield* db.query<{ pid: number }>(
              "FindPid",
              "SELECT pg_backend_pid() AS pid",
            )
            // Another session ends this one while it sleeps.
            yield* Effect.forkChild(
              Effect.andThen(
                Effect.sleep("200 millis"),
                Effect.promise(() => sql(database.url, `SELECT pg_terminate_backend(${me!.pid})`)),
              ),
            )
            const failed = yield* Effect.flip(db.query("LongSleep", "SELECT pg_sleep(5)"))
            // The client is still checked out when its socket closes: that used to crash.
            yield* Effect.sleep("300 millis")
            return failed
          }),
        ),
      ),
    )
    expect(error._tag).toBe("ConnectionFailed")
  })
})

describe("Db.layerFrom", () => {
  it("gives a nested Db for another database its own connection, not the outer one", async () => {
    const { createTestDatabase } = await import("@coderops/test-postgres")
    const other = await createTestDatabase()
    const names = await runWithDb(
      database.url,
      Effect.gen(function* () {
        const outer = yield* Db
        const settings = { ...outer.settings, database: other }
        const inner = yield* Effect.provide(
          Db.use((db) =>
            db.query<{ d: string }>("CurrentDatabase", "SELECT current_database() AS d"),
          ),
          Db.layerFrom(settings),
        )
        const self = yield* outer.query<{ d: string }>(
          "CurrentDatabase",
          "SELECT current_database() AS d",
        )
        return [self[0]?.d, inner[0]?.d]
      }),
    )
    expect(names).toEqual([database.name, other])
  })
})
