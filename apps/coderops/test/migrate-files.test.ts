import { execFile, execFileSync } from "node:child_process"
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createTestDatabase, databaseUrl } from "@coderops/test-postgres"
import { afterAll, describe, expect, it } from "vitest"
import { bin, type CliResult, coderops } from "./cli.js"

const dirs: Array<string> = []
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

const folder = async (files: Record<string, string> = {}) => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-cli-files-"))
  dirs.push(dir)
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql)
  return dir
}

/** The CLI with a deadline that even a process blocked in a read cannot ignore. */
const bounded = (args: ReadonlyArray<string>): Promise<CliResult> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        env: { ...process.env, NODE_ENV: "production", DATABASE_URL: undefined },
        timeout: 20_000,
        killSignal: "SIGKILL",
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
        resolve({ code, stdout, stderr })
      },
    )
  })

describe("coderops migrate and the file system", () => {
  it("reports a FIFO named like a migration as a directory problem instead of blocking on it", async () => {
    const dir = await folder({ "000001_a.up.sql": "SELECT 1;", "000001_a.down.sql": "SELECT 1;" })
    execFileSync("mkfifo", [join(dir, "000002_pipe.up.sql")])
    await writeFile(join(dir, "000002_pipe.down.sql"), "SELECT 1;")
    const result = await bounded(["migrate", "create", "next", "--dir", dir])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain("000002_pipe.up.sql: a FIFO (named pipe), not a regular file")
  })

  it("escapes control characters of file names in text output", async () => {
    const url = databaseUrl(await createTestDatabase())
    const dir = await folder({
      "000001_red\x1b[31m.up.sql": "SELECT 1;",
      "000001_red\x1b[31m.down.sql": "SELECT 1;",
    })
    const plan = await coderops(["migrate", "up", "--dry-run", "--dir", dir, "--database-url", url])
    expect(plan.code).toBe(0)
    expect(plan.stdout).toContain("000001_red\\x1b[31m.up.sql")
    expect(plan.stdout).not.toContain("\x1b")
    const applied = await coderops(["migrate", "up", "--dir", dir, "--database-url", url])
    expect(applied.stderr).toContain("↑ 000001_red\\x1b[31m.up.sql")
    expect(applied.stderr).not.toContain("\x1b")

    // A newline in a name would fake a line of the problem list.
    const faked = await folder({ "x.up.sql\n  000009_all_good.up.sql": "SELECT 1;" })
    const refused = await coderops(["migrate", "create", "next", "--dir", faked])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain("x.up.sql\\n  000009_all_good.up.sql: bad name")
    expect(refused.stderr.split("\n").some((line) => line.startsWith("  000009"))).toBe(false)
  })

  it("refuses an empty --dir instead of reading the current directory", async () => {
    const result = await coderops(["migrate", "create", "next", "--dir", ""])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--dir is empty")
  })

  it("gives migrations created at the same time different versions", async () => {
    const dir = await folder()
    const names = ["alpha", "beta", "gamma", "delta"]
    const results = await Promise.all(
      names.map((name) => coderops(["migrate", "create", name, "--dir", dir, "--json"])),
    )
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0])
    const versions = results.map((r) => (JSON.parse(r.stdout) as { version: number }).version)
    expect([...versions].sort()).toEqual([1, 2, 3, 4])
    expect((await readdir(dir)).sort()).toHaveLength(8)
  })

  it("refuses a name too long for a file name, saying how long it may be", async () => {
    const dir = await folder()
    const result = await coderops(["migrate", "create", "a".repeat(300), "--dir", dir])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("the name is 300 characters; at most 239 fit in a file name")
    expect(await readdir(dir)).toEqual([])
  })

  it("refuses a --metrics-file that is a folder before doing anything", async () => {
    const dir = await folder()
    const metrics = join(dir, "metrics.prom")
    await mkdir(metrics)
    // Before connecting, too: the database URL leads nowhere.
    const result = await coderops([
      "migrate",
      "up",
      "--dir",
      dir,
      "--metrics-file",
      metrics,
      "--database-url",
      "postgres://nobody@127.0.0.1:1/nothing",
    ])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain("is a folder, not a file")
    expect(await readdir(dir)).toEqual(["metrics.prom"])
  })
})
