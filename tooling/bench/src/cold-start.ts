// Cold start of the CLI: `coderops --help` and `coderops db info` against a running
// server, each side by side with a bare `node -e 0` (the floor no Node CLI can beat).
import { chmod, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { ensureEmbeddedServer, redactedUrlOf, stopEmbeddedServer } from "@coderops/db-core"
import { Effect, Redacted } from "effect"
import { comparePair, machine, seconds, timeProcess } from "./harness.js"

const rounds = Number(process.env.BENCH_ROUNDS ?? 15)
const bin = fileURLToPath(import.meta.resolve("coderops/package.json")).replace(
  /package\.json$/,
  "bin/run.js",
)
const node = process.execPath

const parent = await mkdtemp(join(tmpdir(), "coderops-bench-"))
await chmod(parent, 0o755)
const root = join(parent, "pg")
try {
  const server = await Effect.runPromise(ensureEmbeddedServer(root))
  const url = new URL(redactedUrlOf(server.settings))
  url.password = Redacted.value(server.settings.password!)
  const env = { NODE_ENV: "production", DATABASE_URL: url.toString() }
  const floor = { name: "node -e 0", run: timeProcess(node, ["-e", "0"]) }

  const help = await comparePair(
    { name: "coderops --help", run: timeProcess(node, [bin, "--help"], env) },
    floor,
    { rounds },
  )
  const info = await comparePair(
    { name: "coderops db info", run: timeProcess(node, [bin, "db", "info"], env) },
    floor,
    { rounds },
  )
  const info_json = await comparePair(
    { name: "coderops db info --json", run: timeProcess(node, [bin, "db", "info", "--json"], env) },
    floor,
    { rounds },
  )
  console.log(`machine: ${machine()}; ${rounds} rounds each, alternating, medians`)
  console.log("| command | median | node -e 0 | ratio | target |")
  console.log("|---|---|---|---|---|")
  for (const [result, target] of [
    [help, 0.5],
    [info, 1],
    [info_json, 1],
  ] as const) {
    const verdict = result.a.median < target ? "met" : "MISSED"
    console.log(
      `| \`${result.a.name}\` | ${seconds(result.a.median)} | ${seconds(result.b.median)} | ${result.ratio.toFixed(2)} | < ${target} s: ${verdict} |`,
    )
  }
} finally {
  await Effect.runPromise(Effect.ignore(stopEmbeddedServer(root)))
  await rm(parent, { recursive: true, force: true })
}
