import { Db } from "@coderops/db-core"
import { run } from "@coderops/test-db"
import { useTestDatabase } from "@coderops/test-postgres"
import * as Effect from "effect/Effect"
import { describe, expect, it } from "vitest"
import { probeTargets, withProbe } from "../src/Probe.js"

const database = useTestDatabase()

describe("withProbe", () => {
  it("measures how long a lock held for a known time blocks reads and writes", async () => {
    // How long the lock really was held: on a loaded machine LOCK and COMMIT take time too.
    let held = { from: 0, to: 0 }
    const { blocking } = await run(
      database.url,
      Effect.gen(function* () {
        const db = yield* Db
        yield* db.script(
          "TestProbeSetup",
          "CREATE TABLE locked (id int, name text); CREATE TABLE shared (id int); CREATE TABLE free (id int)",
        )
        const targets = yield* probeTargets(["locked", "shared", "free", "missing"])
        expect(targets.map((t) => t.table)).toEqual(["free", "locked", "shared"])
        return yield* withProbe(
          targets,
          db.withSession(
            Effect.gen(function* () {
              yield* Effect.sleep("100 millis")
              held = { ...held, from: performance.now() }
              yield* db.script(
                "TestProbeLock",
                "BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE; LOCK TABLE shared IN SHARE MODE",
              )
              yield* Effect.sleep("800 millis")
              yield* db.script("TestProbeCommit", "COMMIT")
              held = { ...held, to: performance.now() }
              yield* Effect.sleep("100 millis")
            }),
          ),
        )
      }),
    )
    const of = (table: string) => blocking.find((b) => b.table === table)!
    // Blocked from the first probe after LOCK until COMMIT: one probe waits no longer than the
    // lock was held, and reads and writes blocked at once count once. (On a loaded machine an
    // unblocked probe can pass the threshold too, hence the slack on the union.)
    const heldSeconds = (held.to - held.from) / 1000
    expect(of("locked").longestReadSeconds).toBeGreaterThan(0.6)
    expect(of("locked").longestReadSeconds).toBeLessThan(heldSeconds + 0.05)
    expect(of("locked").blockedSeconds).toBeGreaterThan(0.6)
    expect(of("locked").blockedSeconds).toBeLessThan(heldSeconds + 0.3)
    // SHARE blocks writes, not reads.
    expect(of("shared").longestWriteSeconds).toBeGreaterThan(0.6)
    expect(of("shared").longestReadSeconds).toBeLessThan(0.3)
    expect(of("free").longestSeconds).toBeLessThan(0.3)
    expect(of("free").probes).toBeGreaterThan(10)
  })
})
