// Cold start of the CLI: `coderops --help` and `coderops db info` against a running
// server, each side by side with a bare `node -e 0` (the floor no Node CLI can beat).
import { fileURLToPath } from "node:url"
import { comparePair, machine, seconds, timeProcess, withBenchServer } from "./harness.js"

const rounds = Number(process.env.BENCH_ROUNDS ?? 15)
const bin = fileURLToPath(import.meta.resolve("coderops/package.json")).replace(
  /package\.json$/,
  "bin/run.js",
)
const node = process.execPath

await withBenchServer(async ({ url }) => {
  const env = { NODE_ENV: "production", DATABASE_URL: url }
  const floor = { name: "node -e 0", run: timeProcess(node, ["-e", "0"]) }
  const results = [
    [
      await comparePair(
        { name: "coderops --help", run: timeProcess(node, [bin, "--help"], env) },
        floor,
        { rounds },
      ),
      0.5,
    ],
    [
      await comparePair(
        { name: "coderops db info", run: timeProcess(node, [bin, "db", "info"], env) },
        floor,
        { rounds },
      ),
      1,
    ],
    [
      await comparePair(
        {
          name: "coderops db info --json",
          run: timeProcess(node, [bin, "db", "info", "--json"], env),
        },
        floor,
        { rounds },
      ),
      1,
    ],
  ] as const
  console.log(`machine: ${machine()}; ${rounds} rounds each, alternating, medians`)
  console.log("| command | median | node -e 0 | ratio | target |")
  console.log("|---|---|---|---|---|")
  for (const [result, target] of results) {
    const verdict = result.a.median < target ? "met" : "MISSED"
    console.log(
      `| \`${result.a.name}\` | ${seconds(result.a.median)} | ${seconds(result.b.median)} | ${result.ratio.toFixed(2)} | < ${target} s: ${verdict} |`,
    )
  }
})
