import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const script = fileURLToPath(new URL("../scripts/command-reference.mjs", import.meta.url))

describe("docs/commands.md", () => {
  it("is the reference the built CLI generates (run `pnpm docs:reference` after changing a command)", async () => {
    const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [script, "--check"], (error, _stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stderr }),
      ),
    )
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
  })
})
