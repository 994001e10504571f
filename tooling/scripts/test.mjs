// Runs every package's tests through turbo, then prints one closing line for the whole
// run ("Tests: N passed, N failed") from the JSON reports vitest wrote. Exits with turbo's code.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"

const root = join(import.meta.dirname, "..", "..")
const packages = ["apps", "packages", "tooling"].flatMap((group) =>
  existsSync(join(root, group))
    ? readdirSync(join(root, group)).map((name) => join(root, group, name))
    : [],
)
const reportOf = (dir) => join(dir, ".vitest", "results.json")
for (const dir of packages) rmSync(reportOf(dir), { force: true })

// Output to a file or a pipe (CI logs, `pnpm test > log`) gets no colour codes: turbo
// colours its tasks' output, and vitest its own, unless NO_COLOR is set.
const env = process.stdout.isTTY ? process.env : { NO_COLOR: "1", ...process.env }
// Two packages at a time: each package's run spends seconds starting its PostgreSQL and
// its workers, and most test files wait on the processes and servers they start.
const turbo = spawnSync(
  "turbo",
  ["run", "test", "--concurrency=2", "--continue", ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: "inherit",
    env,
  },
)

let passed = 0
let failed = 0
let skipped = 0
const missing = []
for (const dir of packages) {
  if (!existsSync(join(dir, "vitest.config.ts"))) continue
  if (!existsSync(reportOf(dir))) {
    missing.push(dir.slice(root.length + 1))
    continue
  }
  const report = JSON.parse(readFileSync(reportOf(dir), "utf8"))
  passed += report.numPassedTests
  failed += report.numFailedTests
  skipped += report.numPendingTests + (report.numTodoTests ?? 0)
}
if (missing.length > 0) console.log(`No test report from: ${missing.join(", ")}`)
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`)
process.exit(turbo.status ?? 1)
