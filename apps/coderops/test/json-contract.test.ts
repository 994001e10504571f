import { spawn } from "node:child_process"
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { createTestDatabase, databaseUrl, sql, testServer } from "@coderops/test-postgres"
import { Config } from "@oclif/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, type CliResult, coderops } from "./cli.js"
import { contractProblems, errorProblems } from "./jsonContract.js"

const appDir = fileURLToPath(new URL("..", import.meta.url))
const unreachable = "postgres://coder:secret@127.0.0.1:1/coder?connect_timeout=5"

const folders: Array<string> = []
afterAll(() => Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true }))))
const folder = async (files: Record<string, string> = {}) => {
  const dir = await mkdtemp(join(tmpdir(), "coderops-json-"))
  folders.push(dir)
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return dir
}

/** A migration directory verify passes: one table, its fixture. */
const verifiable = {
  "000001_a.up.sql": "CREATE TABLE a (id int);",
  "000001_a.down.sql": "DROP TABLE a;",
  "testdata/fixtures/000001_a.up.sql": "INSERT INTO a VALUES (1);",
}

/** Runs a command with --json and checks the success document against the contract. */
const success = async (argv: ReadonlyArray<string>, env?: Record<string, string>) => {
  const result = await coderops([...argv, "--json"], env)
  expect(result.code, `${argv.join(" ")}: ${result.stdout}${result.stderr}`).toBe(0)
  const document = JSON.parse(result.stdout) as Record<string, unknown>
  expect(document).not.toHaveProperty("error")
  expect(contractProblems(document), argv.join(" ")).toEqual([])
  return document
}

/** Runs a command with --json that must fail, and checks the error document. */
const failure = async (
  argv: ReadonlyArray<string>,
  expected: { readonly exitCode: number; readonly tag?: string },
  env?: Record<string, string>,
) => {
  const result: CliResult = await coderops([...argv, "--json"], env)
  expect(result.code, `${argv.join(" ")}: ${result.stdout}${result.stderr}`).toBe(expected.exitCode)
  const document = JSON.parse(result.stdout) as { error: Record<string, unknown> }
  expect(errorProblems(document, result.code), argv.join(" ")).toEqual([])
  if (expected.tag !== undefined) expect(document.error.tag).toBe(expected.tag)
  return document.error
}

let seeded: string
let emptyDataDir: string

/**
 * Every command's success and failure under --json. A command the CLI has and this table
 * lacks fails the test below: a new command cannot escape the contract.
 */
const cases: Record<
  string,
  {
    /** Required arguments, for the checks every command gets. */
    readonly args?: ReadonlyArray<string>
    readonly check: () => Promise<void>
  }
> = {
  doctor: {
    check: async () => {
      const report = await success(["doctor", "--database-url", seeded])
      for (const check of report.checks as Array<Record<string, unknown>>)
        expect(Object.keys(check)).toEqual(["name", "status", "detail", "hint"])
      await failure(["doctor", "--database-url", "postgres://u:p@db:port/x"], { exitCode: 3 })
    },
  },
  "db:info": {
    check: async () => {
      await success(["db", "info", "--database-url", seeded])
      await failure(["db", "info", "--database-url", unreachable], {
        exitCode: 4,
        tag: "ConnectionFailed",
      })
    },
  },
  "db:seed": {
    check: async () => {
      const url = databaseUrl(await createTestDatabase())
      await failure(["db", "seed", "--database-url", url], { exitCode: 1, tag: "SchemaMissing" })
      await success(["migrate", "up", "--database-url", url])
      const report = await success(["db", "seed", "--orgs", "1", "--database-url", url])
      expect(report).toHaveProperty("seconds")
    },
  },
  demo: {
    check: async () => {
      // The whole tour is demo.test.ts' (its summary checked against the contract there).
      const dir = await folder()
      // The embedded server runs as postgres when root: it must enter the folder.
      await chmod(dir, 0o755)
      const env = { CODEROPS_DATA_DIR: join(dir, "postgres") }
      const dropped = await success(["demo", "--drop"], env)
      expect(dropped).toEqual({ name: "coderops_demo", existed: false })
      await success(["db", "embedded", "stop"], env)
      await failure(["demo", "--size", "huge"], { exitCode: 2, tag: "UsageError" })
    },
  },
  "db:embedded:status": {
    check: async () => {
      await success(["db", "embedded", "status"], { CODEROPS_DATA_DIR: emptyDataDir })
    },
  },
  "db:embedded:stop": {
    check: async () => {
      await success(["db", "embedded", "stop"], { CODEROPS_DATA_DIR: emptyDataDir })
    },
  },
  "db:purge:api-keys": {
    check: async () => {
      const url = databaseUrl(await createTestDatabase())
      await success(["migrate", "up", "--database-url", url])
      await success(["db", "seed", "--orgs", "1", "--api-keys", "100", "--database-url", url])
      const dryRun = await success(["db", "purge", "api-keys", "--dry-run", "--database-url", url])
      expect(dryRun).toMatchObject({ dryRun: true, wouldPurge: 50 })
      expect(dryRun).not.toHaveProperty("purged")
      const done = await success(["db", "purge", "api-keys", "--database-url", url])
      expect(done).toMatchObject({ dryRun: false, purged: 50, batches: 1 })
      await failure(["db", "purge", "api-keys", "--retention", "-1h", "--database-url", url], {
        exitCode: 3,
      })
    },
  },
  "metrics:serve": {
    check: async () => {
      // Its long-running output is one JSON object per line: each keeps the contract.
      const lines = await serveBriefly(seeded)
      for (const line of lines) expect(contractProblems(JSON.parse(line))).toEqual([])
      await failure(["metrics", "serve", "--metrics-addr", "nowhere", "--database-url", seeded], {
        exitCode: 3,
      })
    },
  },
  "migrate:create": {
    args: ["next"],
    check: async () => {
      const dir = await folder()
      await success(["migrate", "create", "next", "--dir", dir])
      await failure(["migrate", "create", "next", "--dir", join(dir, "missing")], {
        exitCode: 3,
        tag: "MigrationDirectoryMissing",
      })
    },
  },
  "migrate:up": {
    check: async () => {
      const url = databaseUrl(await createTestDatabase())
      const plan = await success(["migrate", "up", "--dry-run", "--database-url", url])
      expect(plan).toMatchObject({ dryRun: true, from: null, wouldMigrateTo: 371 })
      const run = await success(["migrate", "up", "--database-url", url])
      expect(run).toMatchObject({ dryRun: false, from: null, to: 371 })
      const broken = await folder({
        "000001_a.up.sql": "SELECT nocolumn FROM nowhere;",
        "000001_a.down.sql": "SELECT 1;",
      })
      const fresh = databaseUrl(await createTestDatabase())
      const error = await failure(["migrate", "up", "--dir", broken, "--database-url", fresh], {
        exitCode: 10,
        tag: "MigrationFailed",
      })
      expect(error.details).toMatchObject({ line: 1, sqlState: "42P01" })
    },
  },
  "migrate:down": {
    args: ["1"],
    check: async () => {
      const url = databaseUrl(await createTestDatabase())
      await success(["migrate", "up", "--database-url", url])
      const plan = await success(["migrate", "down", "1", "--dry-run", "--database-url", url])
      expect(plan).toMatchObject({ wouldMigrateTo: 370, stepsToRun: [{ version: 371 }] })
      await success(["migrate", "down", "1", "--database-url", url])
      await failure(["migrate", "down", "--database-url", url], { exitCode: 2 })
    },
  },
  "migrate:force": {
    args: ["371"],
    check: async () => {
      const url = databaseUrl(await createTestDatabase())
      await success(["migrate", "force", "371", "--database-url", url])
      await failure(["migrate", "force", "5", "--database-url", url], {
        exitCode: 3,
        tag: "InvalidMigrationRequest",
      })
    },
  },
  "migrate:goto": {
    args: ["370"],
    check: async () => {
      const url = databaseUrl(await createTestDatabase())
      await success(["migrate", "goto", "370", "--database-url", url])
      await failure(["migrate", "goto", "5", "--database-url", url], { exitCode: 3 })
    },
  },
  "migrate:status": {
    check: async () => {
      const status = await success(["migrate", "status", "--database-url", seeded])
      const applied = (status.migrations as Array<Record<string, unknown>>)[0]
      expect(applied).toMatchObject({ applied: true, seconds: expect.any(Number) })
      expect(applied).not.toHaveProperty("durationMs")
      await failure(["migrate", "status", "--dir", "/nonexistent", "--database-url", seeded], {
        exitCode: 3,
        tag: "MigrationDirectoryError",
      })
    },
  },
  "migrate:lint": {
    check: async () => {
      await success(["migrate", "lint", "--database-url", seeded])
      await failure(["migrate", "lint", "--from", "999999", "--database-url", seeded], {
        exitCode: 3,
        tag: "UnknownLintVersion",
      })
    },
  },
  "migrate:rehearse": {
    check: async () => {
      // Nothing pending on the seeded database: an empty rehearsal, quickly.
      const rehearsal = await success(["migrate", "rehearse", "--database-url", seeded])
      expect(rehearsal).toMatchObject({
        pending: [],
        drift: { missing: [], extra: [], changed: [] },
      })
      await failure(["migrate", "rehearse", "--scales", "2", "--database-url", seeded], {
        exitCode: 2,
        tag: "InvalidRehearseFlag",
      })
      // A scratch server whose role may not CREATE DATABASE: said before anything runs.
      const role = `nocreatedb_${process.pid}`
      await sql(testServer().adminUrl, `DROP ROLE IF EXISTS ${role}`)
      await sql(testServer().adminUrl, `CREATE ROLE ${role} LOGIN PASSWORD 'scratch-pw'`)
      const scratch = new URL(testServer().adminUrl)
      scratch.username = role
      scratch.password = "scratch-pw"
      scratch.pathname = "/postgres"
      const refused = await failure(
        ["migrate", "rehearse", "--scratch-url", scratch.toString(), "--database-url", seeded],
        { exitCode: 1, tag: "ScratchServerRefused" },
      )
      expect(JSON.stringify(refused)).not.toContain("scratch-pw")
      await sql(testServer().adminUrl, `DROP ROLE ${role}`)
    },
  },
  "migrate:verify": {
    check: async () => {
      const url = databaseUrl(await createTestDatabase())
      await success(["migrate", "verify", "--dir", await folder(verifiable), "--database-url", url])
      const missing = await folder({ ...verifiable, "testdata/fixtures/000001_a.up.sql": "" })
      await failure(["migrate", "verify", "--dir", missing, "--database-url", url], {
        exitCode: 1,
        tag: "VerifyFailed",
      })
    },
  },
  "migrate:watch": {
    check: async () => {
      const reading = await success(["migrate", "watch", "--once", "--database-url", seeded])
      expect(reading).toMatchObject({ migrating: null, blockers: [], actions: [] })
      await failure(["migrate", "watch", "--interval", "1ns", "--database-url", seeded], {
        exitCode: 3,
        tag: "InvalidDuration",
      })
    },
  },
  "upgrade:plan": {
    check: async () => {
      const plan = await success(["upgrade", "plan", "--database-url", seeded])
      expect(plan).toMatchObject({ pending: [], rehearsal: null, recommendations: [] })
      await failure(["upgrade", "plan", "--rehearse", "--scales", "0", "--database-url", seeded], {
        exitCode: 2,
        tag: "InvalidRehearseFlag",
      })
    },
  },
  "prebuilds:status": {
    check: async () => {
      await success(["prebuilds", "status", "--database-url", seeded])
      await failure(["prebuilds", "status", "--database-url", unreachable], { exitCode: 4 })
    },
  },
  "prebuilds:reconcile": {
    check: async () => {
      const plan = await success(["prebuilds", "reconcile", "--dry-run", "--database-url", seeded])
      expect(plan).toMatchObject({ dryRun: true, membershipsToCreate: 1, groupsToCreate: 1 })
      expect(plan).not.toHaveProperty("membershipsCreated")
      await failure(["prebuilds", "reconcile", "--interval", "1m", "--database-url", seeded], {
        exitCode: 2,
        tag: "UsageError",
      })
    },
  },
}

/**
 * Starts `metrics serve --json`, stops it with SIGTERM once it names its address (or after
 * a few seconds: it may say nothing); its stdout lines.
 */
const serveBriefly = (url: string) =>
  new Promise<Array<string>>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bin, "metrics", "serve", "--metrics-addr", "127.0.0.1:0", "--json"],
      { env: { ...process.env, DATABASE_URL: url, NODE_ENV: "production" } },
    )
    let output = ""
    let stdout = ""
    // One SIGTERM: its "stopped" line names the address again, which must not send another.
    let signalled = false
    const terminate = () => {
      if (!signalled) child.kill("SIGTERM")
      signalled = true
    }
    const stop = setTimeout(terminate, 5_000)
    const listening = () => {
      if (/127\.0\.0\.1:\d+/.test(output)) terminate()
    }
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      output += chunk
      listening()
    })
    child.stderr.on("data", (chunk) => {
      output += chunk
      listening()
    })
    child.on("exit", (code) => {
      clearTimeout(stop)
      if (code !== 0) reject(new Error(`metrics serve exited ${code}: ${output}`))
      else resolve(stdout.split("\n").filter((line) => line.trim() !== ""))
    })
  })

const commandIds = async () => {
  const config = await Config.load(appDir)
  return config.commands
}

describe("the JSON contract, over every command of the CLI", () => {
  beforeAll(async () => {
    emptyDataDir = join(await folder(), "postgres")
    seeded = databaseUrl(await createTestDatabase())
    for (const args of [
      ["migrate", "up"],
      ["db", "seed", "--orgs", "1", "--users", "5", "--api-keys", "50"],
    ]) {
      const result = await coderops([...args, "--database-url", seeded])
      expect(result.code, result.stderr).toBe(0)
    }
  })

  it("has cases for every command in the manifest, and every command but help takes --json", async () => {
    const commands = await commandIds()
    const withJson = commands.filter((command) => command.enableJsonFlag).map((c) => c.id)
    expect(commands.filter((command) => !command.enableJsonFlag).map((c) => c.id)).toEqual(["help"])
    expect(withJson.sort()).toEqual(Object.keys(cases).sort())
  })

  for (const [id, { check }] of Object.entries(cases)) {
    it(`${id.replaceAll(":", " ")}: success and failure documents keep the contract`, check)
  }

  it("every command: a flag that does not parse, a missing argument and an unwritable --metrics-file are error documents", async () => {
    for (const command of await commandIds()) {
      if (!command.enableJsonFlag) continue
      const words = command.id.split(":")
      const args = cases[command.id]?.args ?? []
      const [badFlag, missing] = await Promise.all([
        failure([...words, ...args, "--no-such-flag"], { exitCode: 2, tag: "UsageError" }),
        Object.values(command.args).some((arg) => arg.required)
          ? failure(words, { exitCode: 2, tag: "UsageError" })
          : undefined,
        // Only where the command offers it: a command without a database has no metrics file.
        "metrics-file" in command.flags
          ? failure([...words, ...args, "--metrics-file", "/nonexistent/coderops.prom"], {
              exitCode: 3,
            })
          : failure([...words, ...args, "--metrics-file", "/tmp/x.prom"], {
              exitCode: 2,
              tag: "UsageError",
            }),
      ])
      expect(badFlag.message).toBe("Nonexistent flag: --no-such-flag")
      expect(badFlag.hint).toBe(`see \`coderops ${words.join(" ")} --help\``)
      if (missing !== undefined)
        expect(missing.message).toMatch(/^Missing 1 required arg: \w+ \(.+\)$/)
    }
  })

  it("unknown commands and stray arguments honour --json, exit 2, one line and a hint without it", async () => {
    const unknown = await failure(["no-such-command"], { exitCode: 2, tag: "UnknownCommand" })
    expect(unknown).toMatchObject({
      message: "unknown command: no-such-command",
      hint: "see `coderops --help` for the commands",
      details: { command: "no-such-command" },
    })
    await failure([], { exitCode: 2, tag: "UnknownCommand" })
    const stray = await failure(["db", "info", "extra"], { exitCode: 2, tag: "UsageError" })
    expect(stray.message).toBe("coderops db info takes no argument extra")
    // help is text only; asking it for JSON, or for a command that does not exist, is an error too.
    await failure(["help"], { exitCode: 2, tag: "UsageError" })
    const help = await coderops(["help", "db", "info"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("$ coderops db info")
    for (const argv of [
      ["help", "no-such-command"],
      ["no-such-command"],
      ["db", "info", "extra"],
      ["prebuilds", "reconcile", "--interval", "1m"],
      ["prebuilds", "reconcile", "--dry-run", "--watch"],
      ["db", "info", "--tables", "abc"],
      ["migrate", "goto"],
    ]) {
      const result = await coderops(argv)
      expect(result.code, argv.join(" ")).toBe(2)
      expect(result.stdout).toBe("")
      const lines = result.stderr.trim().split("\n")
      expect(lines, argv.join(" ")).toHaveLength(2)
      expect(lines[0]).toMatch(/^Error: /)
      expect(lines[1]).toMatch(/^Hint: see `coderops .*--help`/)
      expect(result.stderr).not.toMatch(/See more help|The following error|›/)
    }
    const parse = await coderops(["db", "info", "--tables", "abc"])
    expect(parse.stderr).toContain("Error: --tables: Expected an integer but received: abc\n")
  })
})
