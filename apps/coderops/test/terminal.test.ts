import { spawnSync } from "node:child_process"
import { useTestDatabase } from "@coderops/test-postgres"
import { describe, expect, it } from "vitest"
import { bin } from "./cli.js"

const database = useTestDatabase()

/** `script` (util-linux) gives the CLI a pseudo-terminal, as a person's shell would. */
const hasScript = spawnSync("script", ["--version"]).status === 0

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`

/** Runs coderops on a terminal; stdout and stderr both arrive on the terminal's output. */
const onTerminal = (args: ReadonlyArray<string>, env: Record<string, string | undefined>) => {
  // A person's terminal: colour libraries turn colours off under CI=... or without a TERM.
  const { NO_COLOR: _n, FORCE_COLOR: _f, CI: _c, ...rest } = process.env
  const command = [process.execPath, bin, ...args].map(quote).join(" ")
  const result = spawnSync("script", ["-qec", command, "/dev/null"], {
    encoding: "utf8",
    env: { ...rest, TERM: "xterm-256color", NODE_ENV: "production", ...env },
    timeout: 60_000,
  })
  return { code: result.status, output: result.stdout }
}

const ansiEscape = "\u001b["

describe.skipIf(!hasScript)("output on a terminal", () => {
  it("tables and help are coloured, but not with NO_COLOR set", () => {
    const table = ["migrate", "status", "--database-url", database.url]
    const coloured = onTerminal(table, {})
    expect(coloured.code).toBe(0)
    // The control: without NO_COLOR the terminal does get colours.
    expect(coloured.output).toContain(ansiEscape)
    for (const args of [table, ["migrate", "status", "--help"]]) {
      const plain = onTerminal(args, { NO_COLOR: "1" })
      expect(plain.code).toBe(0)
      expect(plain.output).toContain("Migration")
      expect(plain.output).not.toContain(ansiEscape)
    }
  })
})
