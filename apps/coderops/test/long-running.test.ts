import { useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { launch } from "./cli.js"

const database = useTestDatabase()

/** Starts a long-running command, waits until it says it runs, then stops it (SIGTERM). */
const runUntilStarted = async (
  args: ReadonlyArray<string>,
  started: RegExp,
  env: Record<string, string> = {},
) => {
  const running = launch(args, env)
  await running.waitFor(() => started.test(running.stderr()), `${started}`)
  await running.stop("SIGTERM")
  return { stdout: running.stdout(), stderr: running.stderr() }
}

const warnings = (stderr: string) =>
  stderr.split("\n").filter((line) => line.startsWith("Warning: "))
const serving = /serving metrics on http:\/\/\S+:\d+\/metrics/

describe("long-running commands warn about what they expose", () => {
  it("metrics serve: a password on the command line, and all interfaces, one line each", async () => {
    const { stderr } = await runUntilStarted(
      ["metrics", "serve", "--metrics-addr", "0.0.0.0:0", "--database-url", database.url],
      serving,
    )
    const lines = warnings(stderr)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain("--database-url is visible in the process list")
    expect(lines[0]).toContain("CODER_PG_CONNECTION_URL")
    expect(lines[1]).toContain("--metrics-addr 0.0.0.0:0 listens on all interfaces")
    expect(stderr).not.toContain(new URL(database.url).password)
  })

  it("metrics serve: nothing to warn about with the URL in the environment, on loopback", async () => {
    const { stderr } = await runUntilStarted(
      ["metrics", "serve", "--metrics-addr", "127.0.0.1:0"],
      serving,
      {
        CODER_PG_CONNECTION_URL: database.url,
      },
    )
    expect(warnings(stderr)).toEqual([])
  })

  it("prebuilds reconcile --watch warns on stderr, never on stdout (--json)", async () => {
    const { stdout, stderr } = await runUntilStarted(
      [
        "prebuilds",
        "reconcile",
        "--watch",
        "--json",
        "--metrics-addr",
        ":0",
        "--database-url",
        database.url,
      ],
      // --json silences the progress lines: the last warning is the sign that it runs.
      /all interfaces.*\n/,
    )
    expect(warnings(stderr)).toHaveLength(2)
    expect(stderr).toContain("--metrics-addr :0 listens on all interfaces")
    expect(stdout).not.toContain("Warning")
  })

  it("[::] is every interface too", async () => {
    const { stderr } = await runUntilStarted(
      ["metrics", "serve", "--metrics-addr", "[::]:0"],
      serving,
      { CODER_PG_CONNECTION_URL: database.url },
    )
    expect(warnings(stderr)).toEqual([
      expect.stringContaining("--metrics-addr [::]:0 listens on all interfaces"),
    ])
  })

  it("prebuilds reconcile --watch prints an IPv6 address in brackets, as a URL needs it", async () => {
    const { stderr } = await runUntilStarted(
      ["prebuilds", "reconcile", "--watch", "--metrics-addr", "[::1]:0"],
      /serving metrics on \S+ /,
      { CODER_PG_CONNECTION_URL: database.url },
    )
    expect(stderr).toMatch(/serving metrics on http:\/\/\[::1\]:\d+\/metrics /)
    expect(() => new URL(/serving metrics on (\S+)/.exec(stderr)![1]!)).not.toThrow()
  })
})
