import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../bin/run.js", import.meta.url))

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs the built `coderops` CLI as a user would, with none of the caller's database variables. */
export const coderops = (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined> = {},
): Promise<CliResult> =>
  new Promise((resolve) => {
    const { DATABASE_URL: _a, CODER_PG_CONNECTION_URL: _b, ...rest } = process.env
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...rest, NODE_ENV: "production", ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resolve({ code, stdout, stderr })
      },
    )
  })
