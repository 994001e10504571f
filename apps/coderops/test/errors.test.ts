import { execFileSync, spawnSync } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { databaseUrl, useTestDatabase } from "@coderops/test-postgres"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, coderops } from "./cli.js"
import { startOldServer } from "./oldServer.js"

const database = useTestDatabase()
const secret = "hunter2-do-not-print"

/** One line naming the problem, a hint, nothing else: no stack trace, no password. */
const expectOneClearError = (stderr: string, mentions: string) => {
  const lines = stderr.trim().split("\n")
  expect(lines[0]).toMatch(/^Error: /)
  expect(lines[0]).toContain(mentions)
  expect(lines[1]).toMatch(/^Hint: /)
  expect(lines).toHaveLength(2)
  expect(stderr).not.toContain(secret)
  expect(stderr).not.toMatch(/\s+at .+:\d+:\d+/)
}

/** A system Node older than 22 (`/usr/bin/node` is 20 on these machines), if there is one. */
const olderNode = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => {
  try {
    return Number(execFileSync(path, ["-p", "process.versions.node.split('.')[0]"]).toString()) < 22
  } catch {
    return false
  }
})

describe("errors a user will hit", () => {
  it("unreachable host: exit 4", async () => {
    const result = await coderops([
      "db",
      "info",
      "--database-url",
      `postgres://coder:${secret}@127.0.0.1:1/coder?connect_timeout=5`,
    ])
    expect(result.code).toBe(4)
    expectOneClearError(result.stderr, "cannot connect to coder@127.0.0.1:1/coder")
  })

  it("unknown host name: exit 4", async () => {
    const result = await coderops(["db", "info"], {
      CODER_PG_CONNECTION_URL: `postgres://coder:${secret}@no-such-host.invalid/coder`,
    })
    expect(result.code).toBe(4)
    expectOneClearError(result.stderr, "no-such-host.invalid")
  })

  it("wrong password: exit 5", async () => {
    const url = new URL(database.url)
    url.password = secret
    const result = await coderops(["db", "info", "--database-url", url.toString()])
    expect(result.code).toBe(5)
    expectOneClearError(result.stderr, 'authentication failed for user "postgres"')
  })

  it("no password where the server wants one: exit 5 at once, saying none was given", async () => {
    const url = new URL(database.url)
    url.password = ""
    const started = performance.now()
    // The server would wait 60 s (authentication_timeout) for a handshake left half done.
    const result = await coderops(["db", "info", "--database-url", url.toString()], {
      PGPASSWORD: undefined,
    })
    expect(performance.now() - started).toBeLessThan(15_000)
    expect(result.code).toBe(5)
    expectOneClearError(result.stderr, "the server asks for a password and none was given")
    // As libpq does, PGPASSWORD gives it.
    const fromEnvironment = await coderops(["db", "info", "--database-url", url.toString()], {
      PGPASSWORD: new URL(database.url).password,
    })
    expect(fromEnvironment.code).toBe(0)
    // And ~/.pgpass.
    const home = await mkdtemp(join(tmpdir(), "coderops-pgpass-"))
    const target = new URL(database.url)
    await writeFile(
      join(home, ".pgpass"),
      `${target.hostname}:${target.port}:*:${target.username}:${target.password}\n`,
      { mode: 0o600 },
    )
    const fromPgpass = await coderops(["db", "info", "--database-url", url.toString()], {
      PGPASSWORD: undefined,
      HOME: home,
    })
    await rm(home, { recursive: true, force: true })
    expect(fromPgpass.code).toBe(0)
    expect(fromPgpass.stderr).not.toContain("DeprecationWarning")
  })

  it("malformed URL: exit 3, names where it came from", async () => {
    const result = await coderops(["db", "info"], {
      DATABASE_URL: `postgres://coder:${secret}@db:port/coder`,
    })
    expect(result.code).toBe(3)
    expectOneClearError(result.stderr, "the database URL from DATABASE_URL")
  })

  it("URLs that are not quite URLs: exit 3, and the password is never printed", async () => {
    for (const url of [
      `coder:${secret}@db:5432/coder`,
      `postgres:/coder:${secret}@db/coder`,
      `postgres://coder@db/coder?sslmode=bogus&password=${secret}`,
    ]) {
      const result = await coderops(["db", "info", "--database-url", url])
      expect(result.code).toBe(3)
      expectOneClearError(result.stderr, "the database URL from --database-url")
    }
  })

  it("hostile URLs: exit 3, the password never printed, in text, --json or --debug", async () => {
    for (const url of [
      // A "/" in the password: WHATWG and libpq read "pa" as the port.
      `postgres://u:pa/${secret}@host/db`,
      // ... or, after a numeric "port", the rest of the password as the database name.
      `postgres://u:12/${secret}@host/db`,
      `postgres://u:12?${secret}@host/db`,
      // An "@" in the password of a URL that does not parse (a port out of range).
      `postgres://u:Zx@${secret}@host:99999/db`,
      // A malformed percent-encoding.
      `postgres://u:pa%ZZ${secret}@host/db`,
      // libpq's key=value form is no URL; its password must not show either.
      `host=db user=u password=${secret}`,
      `host=db user=u password='${secret} with spaces'`,
    ]) {
      for (const mode of [[], ["--json"], ["--debug"]]) {
        const result = await coderops(["db", "info", ...mode, "--database-url", url])
        const output = `${result.stdout}\n${result.stderr}`
        expect(output, `${mode} ${url}`).not.toContain(secret)
        expect(output, `${mode} ${url}`).not.toContain("with spaces")
        expect(result.code, `${mode} ${url}: ${output}`).toBe(3)
        expect(output).toContain("the database URL from --database-url")
        if (mode[0] === "--json") {
          const body = JSON.parse(result.stdout) as {
            error: { tag: string; details: { value: string } }
          }
          expect(body.error.tag).toBe("InvalidDatabaseConfig")
          expect(body.error.details.value).toContain("xxxxx")
        }
      }
    }
  })

  it("a URL given where it does not belong is redacted in oclif's own messages too", async () => {
    const url = `postgres://u:${secret}@host/db`
    for (const args of [
      ["db", "info", url],
      ["db", "info", "--tables", url],
      ["db", "info", "--json", "--tables", url],
      ["migrate", "goto", url, "--debug"],
    ]) {
      const result = await coderops(args)
      expect(result.code, args.join(" ")).toBe(2)
      expect(`${result.stdout}${result.stderr}`, args.join(" ")).not.toContain(secret)
      expect(`${result.stdout}${result.stderr}`, args.join(" ")).toContain(
        "postgres://u:xxxxx@host/db",
      )
    }
  })

  it("an empty --database-url is an error, not a fall-through to another database", async () => {
    const result = await coderops(["db", "info", "--database-url", ""], {
      CODER_PG_CONNECTION_URL: database.url,
    })
    expect(result.code).toBe(3)
    expectOneClearError(result.stderr, "--database-url")
  })

  it("TLS problems: a missing certificate file is exit 3, a server without TLS is exit 4", async () => {
    const missing = new URL(database.url)
    missing.searchParams.set("sslmode", "verify-full")
    missing.searchParams.set("sslrootcert", "/nonexistent/ca.pem")
    const unreadable = await coderops(["db", "info", "--database-url", missing.toString()])
    expect(unreadable.code).toBe(3)
    expectOneClearError(unreadable.stderr, "/nonexistent/ca.pem")

    const required = new URL(database.url)
    required.searchParams.set("sslmode", "require")
    const noTls = await coderops(["db", "info", "--database-url", required.toString()])
    expect(noTls.code).toBe(4)
    expectOneClearError(noTls.stderr, "does not support SSL")
    expect(noTls.stderr).toContain("offers no TLS")
  })

  it("durations that make no sense are refused before anything runs: exit 3", async () => {
    const purge = await coderops([
      "db",
      "purge",
      "api-keys",
      "--retention",
      "-8760h",
      "--database-url",
      database.url,
    ])
    expect(purge.code).toBe(3)
    expect(purge.stderr).toContain("is negative")
    const spin = await coderops([
      "prebuilds",
      "reconcile",
      "--watch",
      "--interval",
      "0",
      "--database-url",
      database.url,
    ])
    expect(spin.code).toBe(3)
    expect(spin.stderr).toContain("must be longer than 0")
  })

  it("numbers and durations out of range: exit 3 before any work, naming the flag and the range", async () => {
    const cases: ReadonlyArray<[ReadonlyArray<string>, string, Record<string, string>?]> = [
      [["db", "purge", "api-keys", "--retention", "9999999999h"], "allowed: 0s to 876000h"],
      [
        ["db", "purge", "api-keys", "--batch-size", "0"],
        "--batch-size 0 is out of range; allowed: 1 to 1,000,000",
      ],
      [["db", "info", "--tables", "5000"], "--tables 5000 is out of range; allowed: 1 to 1,000"],
      [["prebuilds", "reconcile", "--watch", "--interval", "1ns"], "--interval"],
      [["prebuilds", "reconcile", "--watch", "--interval", "25h"], "allowed: 1s to 24h"],
      [
        ["metrics", "serve", "--metrics-addr", "127.0.0.1:0", "--scrape-timeout", "1ns"],
        "allowed: 100ms to 5m",
      ],
      [
        ["metrics", "serve", "--metrics-addr", "127.0.0.1:0", "--min-refresh", "2h"],
        "--min-refresh",
      ],
      [["migrate", "up", "--lock-timeout", "1ns"], "--lock-timeout"],
      [["migrate", "up", "--statement-timeout", "1000h"], "--statement-timeout"],
      [
        ["migrate", "up"],
        "CODER_PG_MIGRATION_LOCK_TIMEOUT",
        { CODER_PG_MIGRATION_LOCK_TIMEOUT: "500us" },
      ],
    ]
    for (const [args, mentions, env] of cases) {
      const result = await coderops([...args, "--database-url", database.url], env)
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(3)
      // A long-running command first warns about the password on its command line.
      const [first, ...rest] = result.stderr
        .trim()
        .split("\n")
        .filter((line) => !line.startsWith("Warning: "))
      expect(first).toMatch(/^Error: .*out of range; allowed: /)
      expect(first).toContain(mentions)
      expect(rest.filter((line) => !line.startsWith("Hint: "))).toEqual([])
    }
    const json = await coderops(["db", "info", "--json", "--tables", "0"])
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { exitCode: 3, details: { flag: "tables", value: 0, min: 1, max: 1000 } },
    })
  })

  it("seed options the seeder cannot honour: exit 3, every problem named by its flag", async () => {
    const result = await coderops([
      "db",
      "seed",
      "--orgs",
      "-1",
      "--expired-fraction",
      "1.5",
      "--database-url",
      database.url,
    ])
    expect(result.code).toBe(3)
    expectOneClearError(
      result.stderr,
      "invalid seed options: --orgs must be an integer from 0 to 4294967295, got -1; --expired-fraction must be between 0 and 1, got 1.5",
    )
    expect(result.stderr).toContain("Hint: correct the options (see coderops db seed --help)")
  })

  it("seeding a database without the Coder schema: exit 1, with the command to run", async () => {
    const result = await coderops(["db", "seed", "--database-url", database.url])
    expect(result.code).toBe(1)
    expectOneClearError(result.stderr, "it is not a Coder database, or it is not migrated")
    expect(result.stderr).toContain("`coderops migrate up`")
  })

  it("an argument that does not parse is a usage error: exit 2, with where to look", async () => {
    const result = await coderops(["migrate", "goto", "abc", "--database-url", database.url])
    expect(result.code).toBe(2)
    expectOneClearError(result.stderr, "Expected an integer")
    expect(result.stderr).toContain("coderops migrate goto --help")
  })

  it("output piped into a reader that stops early ends quietly", () => {
    const result = spawnSync("sh", ["-c", `"${process.execPath}" "${bin}" --help | head -1`], {
      encoding: "utf8",
      env: { ...process.env, NODE_ENV: "production" },
    })
    expect(result.status).toBe(0)
    expect(result.stdout.trim().split("\n")).toHaveLength(1)
    expect(result.stderr).not.toContain("Warning")
  })

  it("missing database: exit 6", async () => {
    const result = await coderops(["db", "info", "--database-url", databaseUrl("no_such_database")])
    expect(result.code).toBe(6)
    expectOneClearError(result.stderr, 'database "no_such_database" does not exist')
  })

  describe("server older than 13", () => {
    let old: Awaited<ReturnType<typeof startOldServer>>
    beforeAll(async () => {
      old = await startOldServer()
    })
    afterAll(() => old.server.close())

    it("exit 7", async () => {
      const result = await coderops([
        "db",
        "info",
        "--database-url",
        `postgres://coder:${secret}@127.0.0.1:${old.port}/coder?sslmode=disable`,
      ])
      expect(result.code).toBe(7)
      expectOneClearError(result.stderr, "PostgreSQL 12.22")
    })
  })

  it("--json reports the error as JSON on stdout with the same exit code", async () => {
    const result = await coderops([
      "db",
      "info",
      "--json",
      "--database-url",
      `postgres://coder:${secret}@127.0.0.1:1/coder`,
    ])
    expect(result.code).toBe(4)
    const body = JSON.parse(result.stdout) as {
      error: { tag: string; exitCode: number; hint: string }
    }
    expect(body.error).toMatchObject({ tag: "ConnectionFailed", exitCode: 4 })
    expect(result.stdout).not.toContain(secret)
  })

  it("--debug adds the full cause", async () => {
    const result = await coderops([
      "db",
      "info",
      "--debug",
      "--database-url",
      `postgres://coder:${secret}@127.0.0.1:1/coder`,
    ])
    expect(result.code).toBe(4)
    expect(result.stderr.split("\n").length).toBeGreaterThan(3)
    expect(result.stderr).not.toContain(secret)
  })

  it("an unknown flag is a usage error: exit 2", async () => {
    const result = await coderops(["db", "info", "--no-such-flag"])
    expect(result.code).toBe(2)
  })

  // These machines' system Node is 20: the one a user may well start coderops with.
  it.skipIf(olderNode === undefined)(
    "a Node.js older than 22.12 is named, not a cryptic import error: exit 3",
    () => {
      const result = spawnSync(olderNode!, [bin, "db", "info"], { encoding: "utf8" })
      expect(result.status).toBe(3)
      // One line: what it needs, what it found, where that node is.
      expect(result.stderr).toMatch(
        /^Error: coderops needs Node\.js 22\.12 or newer \(22 or 24 LTS\); this is Node\.js 2[01]\.\d+\.\d+ \(\/.*\): put a newer node first on PATH\.\n$/,
      )
      expect(result.stderr).not.toContain("SyntaxError")
    },
  )
})
