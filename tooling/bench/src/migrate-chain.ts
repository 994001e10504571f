// `coderops migrate up` of a generated chain of 300 migrations against `psql -1 -f` of the
// same files in order: the floor (one transaction, no bookkeeping, no locks). Alongside:
// the single-transaction mode, and two bare Node floors (floor/apply-chain.ts) that show
// what one transaction per migration costs a Node process. Every side gets a fresh
// database each round; creating it is not timed.
import { execFileSync } from "node:child_process"
import { rm } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { databaseFactory, writeChain } from "./chain.js"
import { compareSides, machine, seconds, withBenchServer } from "./harness.js"

const rounds = Number(process.env.BENCH_ROUNDS ?? 7)
const count = Number(process.env.BENCH_MIGRATIONS ?? 300)
/** BENCH_BASELINE_BIN: another build's bin/run.js, run as one more side. */
const baselineBin = process.env.BENCH_BASELINE_BIN
const floorScript = fileURLToPath(new URL("./floor/apply-chain.js", import.meta.url))
const bin = fileURLToPath(import.meta.resolve("coderops/package.json")).replace(
  /package\.json$/,
  "bin/run.js",
)

const { dir, ups } = await writeChain(count)

try {
  await withBenchServer(async ({ url }) => {
    const freshDatabase = databaseFactory(url)
    const timed = (command: (target: string) => [string, Array<string>]) => async () => {
      const target = await freshDatabase()
      const [file, args] = command(target)
      const started = performance.now()
      execFileSync(file, args, { stdio: "ignore", env: { ...process.env, NODE_ENV: "production" } })
      return (performance.now() - started) / 1000
    }
    const coderopsUp = (extra: ReadonlyArray<string>, cli = bin) =>
      timed((target) => [
        process.execPath,
        [cli, "migrate", "up", "--dir", dir, "--database-url", target, ...extra],
      ])
    const floor = (mode: string) =>
      timed((target) => [process.execPath, [floorScript, mode, target, ...ups]])
    const results = await compareSides(
      [
        { name: "coderops migrate up", run: coderopsUp([]) },
        // Another build's CLI (e.g. a clone at an earlier commit) side by side with this one.
        ...(baselineBin === undefined
          ? []
          : [{ name: `baseline: ${baselineBin}`, run: coderopsUp([], baselineBin) }]),
        { name: "coderops migrate up --tx-mode all", run: coderopsUp(["--tx-mode", "all"]) },
        { name: "floor: node + pg, one message per migration", run: floor("per-message") },
        { name: "floor: node + pg, whole chain in one message", run: floor("one-message") },
        {
          name: "psql -1 -f ...",
          run: timed((target) => [
            "psql",
            [
              "-X",
              "-q",
              "-1",
              "-v",
              "ON_ERROR_STOP=1",
              "-d",
              target,
              ...ups.flatMap((f) => ["-f", f]),
            ],
          ]),
        },
      ],
      { rounds, warmup: 1 },
    )
    const psql = results.at(-1)!
    console.log(
      `machine: ${machine()}; ${count} migrations; ${rounds} rounds, alternating, medians; psql ${execFileSync("psql", ["--version"]).toString().trim()}`,
    )
    console.log("| side | median | per migration | ratio to psql -1 |\n|---|---|---|---|")
    for (const side of results) {
      console.log(
        `| ${side.name} | ${seconds(side.median)} | ${((side.median / count) * 1000).toFixed(2)} ms | ${(side.median / psql.median).toFixed(2)} |`,
      )
    }
    const ratio = results[0]!.median / psql.median
    console.log(`ratio: ${ratio.toFixed(2)} (target ≤ 1.3: ${ratio <= 1.3 ? "met" : "MISSED"})`)
  })
} finally {
  await rm(dir, { recursive: true, force: true })
}
