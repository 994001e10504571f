import { mkdtemp, readdir, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { coderops } from "./cli.js"

/** Flags a command ignored: it must neither offer nor accept them. */
const notActing: ReadonlyArray<readonly [command: string, flags: ReadonlyArray<string>]> = [
  ["db embedded stop", ["--database-url", "--metrics-file"]],
  ["db embedded status", ["--database-url", "--metrics-file"]],
  [
    "migrate create",
    ["--database-url", "--metrics-file", "--table", "--lock-timeout", "--statement-timeout"],
  ],
  ["migrate status", ["--lock-timeout", "--statement-timeout"]],
  ["migrate force", ["--lock-timeout", "--statement-timeout"]],
]

/** The flags a command's --help lists (its flag sections, not the prose). */
const listedFlags = (help: string) =>
  help.split("\n").flatMap((line) => /^ {2}(?:-\w, )?(--[a-z-]+)/.exec(line)?.[1] ?? [])

const sampleValue = (flag: string) =>
  flag === "--database-url"
    ? "postgres://nobody@127.0.0.1:1/nothing"
    : flag === "--metrics-file"
      ? join(tmpdir(), "coderops-flags.prom")
      : flag === "--table"
        ? "schema_migrations"
        : "1s"

describe("flags only where they act", () => {
  const dataDir = mkdtemp(join(tmpdir(), "coderops-flags-"))
  afterAll(async () => rm(await dataDir, { recursive: true, force: true }))

  it("a command does not list a flag it ignores", async () => {
    for (const [command, flags] of notActing) {
      const help = await coderops([...command.split(" "), "--help"])
      expect(help.code).toBe(0)
      const listed = listedFlags(help.stdout)
      expect(listed, command).toContain("--json")
      for (const flag of flags) expect(listed, command).not.toContain(flag)
    }
    // ... and the commands that act on them still do.
    const up = listedFlags((await coderops(["migrate", "up", "--help"])).stdout)
    expect(up).toEqual(
      expect.arrayContaining(["--database-url", "--metrics-file", "--lock-timeout", "--table"]),
    )
    const status = listedFlags((await coderops(["migrate", "status", "--help"])).stdout)
    expect(status).toEqual(expect.arrayContaining(["--database-url", "--table", "--dir"]))
  })

  it("passing one is a usage error (exit 2) that does nothing", async () => {
    const env = { CODEROPS_DATA_DIR: await dataDir }
    const migrations = await mkdtemp(join(tmpdir(), "coderops-flags-dir-"))
    try {
      for (const [command, flags] of notActing) {
        const args =
          command === "migrate create"
            ? ["add_thing", "--dir", migrations]
            : command === "migrate force"
              ? ["--", "-1"]
              : []
        for (const flag of flags) {
          const result = await coderops(
            [...command.split(" "), `${flag}=${sampleValue(flag)}`, "--json", ...args],
            env,
          )
          expect(result.code, `${command} ${flag}: ${result.stdout}${result.stderr}`).toBe(2)
          const { error } = JSON.parse(result.stdout)
          expect(error.tag).toBe("UsageError")
          expect(error.message, `${command} ${flag}`).toContain(`Nonexistent flag: ${flag}`)
        }
      }
      // Nothing was created, started or written.
      expect(await readdir(migrations)).toEqual([])
      expect(await readdir(await dataDir)).toEqual([])
    } finally {
      await rm(migrations, { recursive: true, force: true })
    }
  })
})
