import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseExposition, sampleValue } from "@coderops/test-prometheus"
import * as Effect from "effect/Effect"
import { afterAll, describe, expect, it } from "vitest"
import { Metrics, writeTextfile } from "../src/index.js"

const dir = await mkdtemp(join(tmpdir(), "coderops-textfile-"))
afterAll(() => rm(dir, { recursive: true, force: true }))

describe("writeTextfile", () => {
  it("writes the exposition atomically, in a form the textfile collector parses", async () => {
    const path = join(dir, "coderops.prom")
    await Effect.runPromise(
      Effect.gen(function* () {
        const metrics = yield* Metrics
        metrics
          .counter({ name: "coderops_test_runs_total", help: "Runs.", labelNames: ["outcome"] })
          .inc({ outcome: "ok" }, 2)
        yield* writeTextfile(path)
      }).pipe(Effect.provide(Metrics.layer)),
    )
    const families = parseExposition(await readFile(path, "utf8"))
    expect(sampleValue(families, "coderops_test_runs_total", { outcome: "ok" })).toBe(2)
    expect(families.get("process_resident_memory_bytes")?.type).toBe("gauge")
    expect(await readdir(dir)).toEqual(["coderops.prom"])
  })

  it("fails with the path when the directory is missing", async () => {
    const error = await Effect.runPromise(
      Effect.flip(writeTextfile(join(dir, "missing", "x.prom"))).pipe(
        Effect.provide(Metrics.layer),
      ),
    )
    expect(error._tag).toBe("TextfileError")
    expect(error.message).toContain("missing/x.prom")
  })
})
