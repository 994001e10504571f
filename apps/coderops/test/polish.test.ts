import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { createTestDatabase, databaseUrl } from "@coderops/test-postgres"
import { afterAll, describe, expect, it } from "vitest"
import { coderops } from "./cli.js"
import { isoUtc } from "./jsonContract.js"

const folders: Array<string> = []
afterAll(() => Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true }))))
const folder = async (files: Record<string, string> = {}) => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-polish-"))
  folders.push(dir)
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return dir
}

const ok = async (args: ReadonlyArray<string>, env?: Record<string, string>) => {
  const result = await coderops(args, env)
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0)
  return result
}

describe("wording", () => {
  it("counts are singular for one and plural otherwise", async () => {
    const url = databaseUrl(await createTestDatabase())
    const one = await ok(["migrate", "up", "1", "--database-url", url])
    expect(one.stdout).toMatch(/: 1 migration in \d+\.\d{3} s\n$/)
    await ok(["migrate", "up", "--database-url", url])
    await ok([
      "db",
      "seed",
      "--orgs",
      "1",
      "--users",
      "1",
      "--api-keys",
      "2",
      "--database-url",
      url,
    ])
    const purged = await ok(["db", "purge", "api-keys", "--database-url", url])
    expect(purged.stdout).toMatch(/^deleted 1 API key expired before \S+ in 1 batch, /)
    const reconciled = await ok(["prebuilds", "reconcile", "--database-url", url])
    expect(reconciled.stdout).toMatch(
      /^created 1 membership, 1 group, 1 group membership across 1 organization in \S+ s, \d+ queries\n$/,
    )
    const again = await ok(["prebuilds", "reconcile", "--database-url", url])
    expect(again.stdout).toContain(", 1 query\n")
    expect(`${one.stdout}${purged.stdout}${reconciled.stdout}`).not.toContain("(s)")
  })

  it("timestamps in text are ISO 8601 UTC, as in --json", async () => {
    const url = databaseUrl(await createTestDatabase())
    await ok(["migrate", "up", "--database-url", url])
    const dryRun = await ok(["db", "purge", "api-keys", "--dry-run", "--database-url", url])
    const cutoff = /expired before (\S+) would be deleted/.exec(dryRun.stdout)?.[1]
    expect(cutoff).toMatch(isoUtc)
    const status = await ok(["migrate", "status", "--database-url", url])
    expect(status.stdout).toMatch(/000371_\S+ +applied +\d+\.\d{3} s +\d{4}-\d\d-\d\dT\S+Z/)
  })
})

describe("migrate", () => {
  it("verify names what down left behind in words, not catalog codes", async () => {
    const url = databaseUrl(await createTestDatabase())
    const leaky = await folder({
      "000001_a.up.sql":
        "CREATE DOMAIN amount AS int; CREATE TABLE kept (id int GENERATED ALWAYS AS IDENTITY, v amount);",
      "000001_a.down.sql": "SELECT 1;",
      "testdata/fixtures/000001_a.up.sql": "INSERT INTO kept (v) VALUES (1);",
    })
    const text = await coderops(["migrate", "verify", "--dir", leaky, "--database-url", url])
    expect(text.code).toBe(1)
    expect(text.stderr).toContain("public.amount domain integer")
    expect(text.stderr).toContain("generated always as identity")
    expect(text.stderr).toMatch(/table public\.kept(;|\n)/)
    const json = await coderops([
      "migrate",
      "verify",
      "--json",
      "--dir",
      leaky,
      "--database-url",
      url,
    ])
    const left = (
      JSON.parse(json.stdout) as { error: { details: { report: { leftAfterDown: string[] } } } }
    ).error.details.report.leftAfterDown
    expect(left).toContain("table public.kept")
    for (const line of left) expect(line).not.toMatch(/ [rpvmfdcae]$| identity [ad]\b/)
  })

  it("verify prints a fixture under its migration's line, not before it", async () => {
    const url = databaseUrl(await createTestDatabase())
    const dir = await folder({
      "000001_a.up.sql": "CREATE TABLE a (id int);",
      "000001_a.down.sql": "DROP TABLE a;",
      "000002_b.up.sql": "CREATE TABLE b (id int);",
      "000002_b.down.sql": "DROP TABLE b;",
      "testdata/fixtures/000001_a.up.sql": "INSERT INTO a VALUES (1);",
      "testdata/fixtures/000002_b.up.sql": "INSERT INTO b VALUES (1);",
    })
    const result = await ok(["migrate", "verify", "--dir", dir, "--database-url", url])
    const lines = result.stderr.split("\n")
    const withFixtures = lines.slice(lines.indexOf("— up with fixtures"))
    expect(withFixtures.slice(1, 5).map((line) => line.replace(/ {2}\d+\.\d+ s$/, ""))).toEqual([
      "↑ 000001_a.up.sql",
      "  fixture 000001_a.up.sql",
      "↑ 000002_b.up.sql",
      "  fixture 000002_b.up.sql",
    ])
  })

  it("create refuses a directory that does not exist, naming it, and creates nothing", async () => {
    const parent = await folder()
    const missing = join(parent, "migrationz")
    const result = await coderops(["migrate", "create", "add_thing", "--dir", missing])
    expect(result.code).toBe(3)
    expect(result.stderr).toBe(
      `Error: the migration directory ${missing} does not exist\nHint: check the path; to start a new migration directory, create it first (mkdir -p ${missing})\n`,
    )
    expect(await readdir(parent)).toEqual([])
  })
})

describe("colour", () => {
  it("never writes escape codes to a pipe, even with FORCE_COLOR inherited", async () => {
    for (const args of [
      ["--help"],
      ["migrate", "status", "--help"],
      ["no-such-command"],
      ["db", "info", "--tables", "x"],
      ["prebuilds", "reconcile", "--dry-run", "--watch"],
      ["db", "embedded", "status", "--json"],
    ]) {
      const result = await coderops(args, {
        FORCE_COLOR: "3",
        CODEROPS_DATA_DIR: join(await folder(), "pg"),
      })
      expect(`${result.stdout}${result.stderr}`, args.join(" ")).not.toContain("\u001b[")
    }
  })
})
