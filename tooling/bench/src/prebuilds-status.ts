// `coderops prebuilds status` (text) on a deployment seeded with `db seed`: BENCH_ORGS
// organizations (default 10,000) with prebuilds, half of them reconciled, 3 templates
// each (2 versions, 3 presets per version, half of them with desired instances). Sides: the text output, the --json output,
// `--help` as a floor (it shows how loaded the machine is), and with BENCH_BASELINE_BIN
// another build's text output. Target: under 1 s at 10,000.
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { compareSides, machine, type Side, seconds, withBenchServer } from "./harness.js"

const rounds = Number(process.env.BENCH_ROUNDS ?? 7)
const orgs = Number(process.env.BENCH_ORGS ?? 10_000)
/** BENCH_BASELINE_BIN: another build's bin/run.js, run as one more side. */
const baselineBin = process.env.BENCH_BASELINE_BIN
/** A baseline run that takes longer than this (seconds) is stopped and not run again. */
const baselineTimeout = Number(process.env.BENCH_BASELINE_TIMEOUT ?? 60)
const bin = fileURLToPath(import.meta.resolve("coderops/package.json")).replace(
  /package\.json$/,
  "bin/run.js",
)
const env = { ...process.env, NODE_ENV: "production" }

await withBenchServer(async ({ url }) => {
  const cli = (args: ReadonlyArray<string>) =>
    execFileSync(process.execPath, [bin, ...args, "--database-url", url], {
      env,
      stdio: "pipe",
      maxBuffer: 1 << 30,
    })
  cli(["migrate", "up"])
  // Half of the presets have desired_instances set: every organization has prebuilds.
  cli([
    "db",
    "seed",
    "--orgs",
    String(orgs),
    "--users",
    String(orgs),
    "--api-keys",
    "0",
    "--reconciled-fraction",
    "0.5",
  ])
  const status = JSON.parse(cli(["prebuilds", "status", "--json"]).toString()) as {
    organizations: Array<unknown>
    presets: Array<unknown>
  }
  console.log(
    `machine: ${machine()}; ${rounds} rounds; ${status.organizations.length.toLocaleString("en-US")} organizations with prebuilds, ${status.presets.length.toLocaleString("en-US")} presets`,
  )
  const timedRun = (file: string, args: ReadonlyArray<string>, timeout?: number) => () => {
    const started = performance.now()
    const target = args[0] === "--help" ? [] : ["--database-url", url]
    execFileSync(process.execPath, [file, ...args, ...target], {
      env,
      stdio: "ignore",
      timeout: timeout === undefined ? undefined : timeout * 1000,
      killSignal: "SIGKILL",
    })
    return (performance.now() - started) / 1000
  }
  const sides: Array<Side> = [
    { name: "prebuilds status", run: timedRun(bin, ["prebuilds", "status"]) },
    { name: "prebuilds status --json", run: timedRun(bin, ["prebuilds", "status", "--json"]) },
    // How loaded the machine is: the same CLI's fastest command (0.09 s when quiet).
    { name: "coderops --help (floor)", run: timedRun(bin, ["--help"]) },
  ]
  let baselineFailure: string | undefined
  if (baselineBin !== undefined) {
    const run = timedRun(baselineBin, ["prebuilds", "status"], baselineTimeout)
    sides.push({
      name: "baseline prebuilds status",
      run: () => {
        if (baselineFailure !== undefined) return Number.POSITIVE_INFINITY
        try {
          return run()
        } catch (error) {
          const { signal, status: code } = error as { signal?: string; status?: number }
          baselineFailure =
            signal === "SIGKILL"
              ? `stopped after ${baselineTimeout} s`
              : `failed (exit ${code ?? signal}, e.g. out of memory)`
          return Number.POSITIVE_INFINITY
        }
      },
    })
  }
  const results = await compareSides(sides, { rounds })
  const [text] = results
  console.log("| side | median | / text |")
  console.log("|---|---|---|")
  for (const result of results) {
    const median = Number.isFinite(result.median)
      ? seconds(result.median)
      : `did not finish: ${baselineFailure}`
    const ratio = Number.isFinite(result.median) ? (result.median / text!.median).toFixed(2) : "—"
    console.log(`| ${result.name} | ${median} | ${ratio} |`)
  }
  console.log(
    `target: text under 1 s at ${orgs.toLocaleString("en-US")} organizations: ${text!.median < 1 ? "met" : "NOT met"}`,
  )
})
