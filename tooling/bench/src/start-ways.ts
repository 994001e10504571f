// Cold start of `coderops --help` and `--version` the ways a user starts it, side by side:
// the installed CLI (release tarballs, npm install -g), `./coderops` from a clone, and the
// way README gave before the launcher, `npx -y pnpm@10.34.8 coderops`.
//
//   BENCH_INSTALLED_PREFIX=<npm --prefix of an install> node dist/start-ways.js
//
// Without BENCH_INSTALLED_PREFIX the installed side is left out. Run it with the PATH a
// user has: the old way starts npx on whatever node comes first.
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { compareSides, machine, type Side, seconds, timeProcess } from "./harness.js"

const rounds = Number(process.env.BENCH_ROUNDS ?? 9)
const root = fileURLToPath(new URL("../../..", import.meta.url))
const prefix = process.env.BENCH_INSTALLED_PREFIX
// The installed bin's shebang is `env node`: the repository's Node 24 goes first on PATH.
const installedEnv = {
  PATH: [join(prefix ?? "", "bin"), dirname(process.execPath), process.env.PATH].join(":"),
}

const sidesFor = (args: ReadonlyArray<string>): ReadonlyArray<Side> => [
  ...(prefix === undefined
    ? []
    : [{ name: "installed `coderops`", run: timeProcess("coderops", args, installedEnv) }]),
  { name: "`./coderops` (clone)", run: timeProcess(join(root, "coderops"), args) },
  {
    name: "`npx -y pnpm@10.34.8 coderops` (before)",
    run: timeProcess("npx", ["-y", "pnpm@10.34.8", "coderops", ...args], {}, root),
  },
]

console.log(`machine: ${machine()}; ${rounds} rounds, alternating, medians`)
console.log("| command | way | median | min | max |")
console.log("|---|---|---|---|---|")
for (const args of [["--help"], ["--version"]]) {
  const results = await compareSides(sidesFor(args), { rounds })
  for (const result of results)
    console.log(
      `| \`${args.join(" ")}\` | ${result.name} | ${seconds(result.median)} | ${seconds(Math.min(...result.samples))} | ${seconds(Math.max(...result.samples))} |`,
    )
}
