import { execFile } from "node:child_process"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const script = join(root, "apps/coderops/scripts/configuration-reference.mjs")

/** The `.ts` sources of apps/* and packages/* (`src` only: tests and tooling are not the CLI). */
const sources = async (): Promise<Array<{ readonly path: string; readonly text: string }>> => {
  const files: Array<{ path: string; text: string }> = []
  for (const area of ["apps", "packages"]) {
    for (const name of await readdir(join(root, area))) {
      const src = join(root, area, name, "src")
      const entries = await readdir(src, { recursive: true }).catch(() => [])
      for (const entry of entries.filter((file) => file.endsWith(".ts"))) {
        files.push({
          path: join(area, name, "src", entry),
          text: await readFile(join(src, entry), "utf8"),
        })
      }
    }
  }
  return files
}

/**
 * The environment variables a source reads: `env.NAME`, `env?.NAME`, `env["NAME"]`,
 * `env[constant]` with `constant = "NAME"` in the same file, and oclif's `env: "NAME"`.
 * `env[x]` whose name cannot be told is returned as `?x` so the test names it.
 */
const environmentReads = (text: string): Array<string> => {
  const names: Array<string> = []
  for (const match of text.matchAll(/\benv\??\.([A-Z][A-Z0-9_]*)\b/g)) names.push(match[1]!)
  for (const match of text.matchAll(/\benv\[\s*["'`]([A-Z][A-Z0-9_]*)["'`]\s*\]/g))
    names.push(match[1]!)
  for (const match of text.matchAll(/\benv\[\s*([A-Za-z_$][\w$]*)\s*\]/g)) {
    const constant = new RegExp(`\\b${match[1]}\\s*=\\s*["'\`]([A-Z][A-Z0-9_]*)["'\`]`).exec(text)
    names.push(constant?.[1] ?? `?${match[1]}`)
  }
  for (const match of text.matchAll(/\benv:\s*["'`]([A-Z][A-Z0-9_]*)["'`]/g)) names.push(match[1]!)
  return names
}

describe("docs/configuration.md", () => {
  it("has the flag index the built CLI generates (run `pnpm docs:reference` after changing a flag)", async () => {
    const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [script, "--check"], (error, _stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stderr }),
      ),
    )
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
  })

  it("names every environment variable the sources read, in its tables", async () => {
    const doc = await readFile(join(root, "docs/configuration.md"), "utf8")
    const documented = new Set(
      [...doc.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((match) => match[1]!),
    )
    const read = new Map<string, string>()
    for (const file of await sources())
      for (const name of environmentReads(file.text)) read.set(name, file.path)
    // The scan finds reads in each of its forms, so an empty result cannot pass silently.
    expect([...read.keys()]).toEqual(
      expect.arrayContaining([
        "CODER_PG_CONNECTION_URL",
        "CODEROPS_PROGRESS_INTERVAL",
        "NO_COLOR",
        "CODEROPS_DATA_DIR",
      ]),
    )
    const undocumented = [...read]
      .filter(([name]) => !documented.has(name))
      .map(([name, path]) => `${name} (read in ${path})`)
    expect(undocumented).toEqual([])
  })
})

describe("environmentReads", () => {
  it("finds each form of read, and names a read it cannot resolve", () => {
    expect(
      environmentReads(
        'process.env.A_B; env?.C; env["D"]; const v = "E"; env[v]; env[w]; Flags.string({ env: "F" })',
      ),
    ).toEqual(["A_B", "C", "D", "E", "?w", "F"])
  })
})
