// `coderops migrate lint` of a generated chain of 300 migrations with the last 10 pending
// on the database: wall time of the whole command (process start to exit), and the share
// of it spent building the scratch schema (the 290 migrations before the pending ones),
// from the report's own timings. Target: ≤ 5 s.
import { execFileSync } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { machine, median, seconds, withBenchServer } from "./harness.js"

const rounds = Number(process.env.BENCH_ROUNDS ?? 7)
const count = Number(process.env.BENCH_MIGRATIONS ?? 300)
const pending = Number(process.env.BENCH_PENDING ?? 10)
const bin = fileURLToPath(import.meta.resolve("coderops/package.json")).replace(
  /package\.json$/,
  "bin/run.js",
)

const dir = await mkdtemp(join(tmpdir(), "coderops-bench-lint-"))
for (let i = 1; i <= count; i++) {
  const name = `${String(i).padStart(6, "0")}_bench_${i}`
  // The pending ones change an existing table (what lint has something to say about).
  const up =
    i <= count - pending
      ? `CREATE TABLE bench_${i} (id bigserial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX bench_${i}_name_idx ON bench_${i} (name);
ALTER TABLE bench_${i} ADD COLUMN note text NOT NULL DEFAULT '';
INSERT INTO bench_${i} (name) SELECT 'row ' || g FROM generate_series(1, 20) g;
`
      : `ALTER TABLE bench_${i - pending} ADD COLUMN extra bigint;
UPDATE bench_${i - pending} SET extra = id;
ALTER TABLE bench_${i - pending} ALTER COLUMN extra SET NOT NULL;
CREATE INDEX bench_${i - pending}_extra_idx ON bench_${i - pending} (extra);
`
  await writeFile(join(dir, `${name}.up.sql`), up)
  await writeFile(join(dir, `${name}.down.sql`), "SELECT 1;\n")
}

const cli = (args: ReadonlyArray<string>) =>
  execFileSync(process.execPath, [bin, ...args], {
    env: { ...process.env, NODE_ENV: "production" },
    maxBuffer: 64 * 1024 * 1024,
  }).toString()

try {
  await withBenchServer(async ({ url }) => {
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query("CREATE DATABASE lint_target")
    await admin.end()
    const target = new URL(url)
    target.pathname = "/lint_target"
    const database = target.toString()
    execFileSync(
      process.execPath,
      [bin, "migrate", "goto", String(count - pending), "--dir", dir, "--database-url", database],
      { stdio: "ignore", env: { ...process.env, NODE_ENV: "production" } },
    )
    const walls: Array<number> = []
    const scratch: Array<number> = []
    const lint: Array<number> = []
    for (let round = 0; round <= rounds; round++) {
      const started = performance.now()
      const report = JSON.parse(
        cli(["migrate", "lint", "--dir", dir, "--database-url", database, "--json"]),
      ) as { timings: { scratchSeconds: number; lintSeconds: number }; findings: Array<unknown> }
      const wall = (performance.now() - started) / 1000
      if (round === 0) {
        console.log(`warm-up: ${seconds(wall)}, ${report.findings.length} findings`)
        continue
      }
      walls.push(wall)
      scratch.push(report.timings.scratchSeconds)
      lint.push(report.timings.lintSeconds)
    }
    const wall = median(walls)
    console.log(`machine: ${machine()}`)
    console.log(`${count} migrations, ${pending} pending, ${rounds} rounds (medians):`)
    console.log(
      `  coderops migrate lint, wall: ${seconds(wall)} (samples ${walls.map((s) => s.toFixed(2)).join(", ")})`,
    )
    console.log(
      `  building the scratch schema (${count - pending} migrations): ${seconds(median(scratch))} = ${Math.round((median(scratch) / wall) * 100)}% of the wall time`,
    )
    console.log(`  tracing and analysing the ${pending} pending: ${seconds(median(lint))}`)
  })
} finally {
  await rm(dir, { recursive: true, force: true })
}
