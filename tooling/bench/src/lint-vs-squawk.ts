// `coderops migrate lint` (the @coderops/lint library) and squawk side by side over the
// corpus of lint-corpus.ts: what each reports per migration, and whether it flags the
// migration (coderops: a warning or an error; squawk: any finding but the two it gives
// nearly every file, require-statement-timeout and prefer-robust-stmts). Prints a
// markdown table for BENCHMARKS.md.
import { execFileSync } from "node:child_process"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { migrationsDir } from "@coderops/coder-schema"
import { Db } from "@coderops/db-core"
import { lintMigrations } from "@coderops/lint"
import { loadMigrations, makeMigrator } from "@coderops/migrations"
import { run } from "@coderops/test-db"
import * as Effect from "effect/Effect"
import pg from "pg"
import { withBenchServer } from "./harness.js"
import { type CorpusCase, corpus, corpusBase, corpusData } from "./lint-corpus.js"
import { harnessUrl } from "./lint-harness.js"

const squawkBin = join(
  dirname(createRequire(import.meta.url).resolve("squawk-cli/package.json")),
  "js/bin/squawk",
)
const noise = new Set(["require-statement-timeout", "prefer-robust-stmts"])

const squawk = (file: string, noTransaction: boolean): ReadonlyArray<string> => {
  const args = [
    "--reporter",
    "json",
    "--pg-version",
    "17",
    ...(noTransaction ? [] : ["--assume-in-transaction"]),
    file,
  ]
  let out: string
  try {
    out = execFileSync(process.execPath, [squawkBin, ...args]).toString()
  } catch (error) {
    // squawk exits 1 when it finds something.
    out = (error as { stdout: Buffer }).stdout.toString()
  }
  const results = JSON.parse(out || "[]") as Array<{ rule_name: string }>
  return [...new Set(results.map((r) => r.rule_name))]
}

const caseDir = async (c: CorpusCase) => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-corpus-"))
  const base = c.coder
    ? await readFile(join(migrationsDir, "000370_baseline.up.sql"), "utf8")
    : corpusBase
  const baseName = c.coder ? "000370_baseline" : "000001_base"
  const caseName = c.coder ? "000371_case" : "000002_case"
  await writeFile(join(dir, `${baseName}.up.sql`), base)
  await writeFile(join(dir, `${baseName}.down.sql`), "SELECT 1;")
  await writeFile(join(dir, `${caseName}.up.sql`), c.sql)
  await writeFile(join(dir, `${caseName}.down.sql`), "SELECT 1;")
  return { dir, file: join(dir, `${caseName}.up.sql`) }
}

await withBenchServer(async ({ url }) => {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query("CREATE DATABASE corpus_real")
  await admin.end()
  const real = harnessUrl(url, "corpus_real")
  const first = await caseDir(corpus[0]!)
  // The real database: the base migration applied (version 1) and the tables filled.
  await run(
    real,
    Effect.gen(function* () {
      const migrator = yield* makeMigrator(yield* loadMigrations(first.dir))
      yield* migrator.goto(1)
      yield* Db.use((db) => db.script("FillCorpus", corpusData))
    }),
  )
  const rows: Array<string> = []
  let coderopsRight = 0
  let squawkRight = 0
  for (const c of corpus) {
    const { dir, file } = await caseDir(c)
    const report = await run(
      real,
      Effect.gen(function* () {
        const source = yield* loadMigrations(dir)
        return yield* lintMigrations(
          source,
          c.coder ? { database: false, scope: { kind: "from", version: 371 } } : { database: true },
        )
      }),
    )
    const ours = report.findings.map((f) => `${f.rule} (${f.severity})`)
    const oursFlag = report.findings.some((f) => f.severity !== "note")
    const theirs = squawk(file, c.sql.startsWith("-- coder:no-transaction"))
    const theirsFlag = theirs.some((rule) => !noise.has(rule))
    if (oursFlag === c.dangerous) coderopsRight++
    if (theirsFlag === c.dangerous) squawkRight++
    const mark = (flag: boolean) => (flag === c.dangerous ? "✓" : "✗")
    rows.push(
      `| ${c.name} | ${c.dangerous ? "dangerous" : "safe"}: ${c.why} | ${mark(oursFlag)} ${[...new Set(ours)].join(", ") || "—"} | ${mark(theirsFlag)} ${theirs.join(", ") || "—"} |`,
    )
    await rm(dir, { recursive: true, force: true })
    process.stderr.write(".")
  }
  await rm(first.dir, { recursive: true, force: true })
  console.log("\n| migration | verdict | coderops lint (with the database) | squawk 2.66.0 |")
  console.log("|---|---|---|---|")
  for (const row of rows) console.log(row)
  console.log(
    `\nright (flags the dangerous, passes the safe): coderops ${coderopsRight}/${corpus.length}, squawk ${squawkRight}/${corpus.length}`,
  )
})
