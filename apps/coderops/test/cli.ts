import { execFile, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const bin = fileURLToPath(new URL("../bin/run.js", import.meta.url))

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

/** Starts `coderops ARGS` in the background: its output as it comes, and its exit code. */
export const startCoderops = (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined> = {},
) => {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, NODE_ENV: "production", ...env },
  })
  let stderr = ""
  let stdout = ""
  child.stderr.on("data", (chunk) => {
    stderr += chunk
  })
  child.stdout.on("data", (chunk) => {
    stdout += chunk
  })
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))),
  )
  /** Resolves once stderr matches `pattern`; fails after 30 s. */
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never saw ${pattern}: ${stderr}`)), 30_000)
      const check = () => {
        if (pattern.test(stderr)) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stderr.on("data", check)
      check()
    })
  return { child, exited, waitFor, stderr: () => stderr, stdout: () => stdout }
}

/** Starts `coderops metrics serve` on a free port; resolves once it listens. */
export const startExporter = async (databaseUrl: string, args: ReadonlyArray<string> = []) => {
  const child = spawn(
    process.execPath,
    [bin, "metrics", "serve", "--metrics-addr", "127.0.0.1:0", ...args],
    {
      env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: "production" },
    },
  )
  let stderr = ""
  child.stderr.on("data", (chunk) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the exporter did not start: ${stderr}`)),
      30_000,
    )
    child.stderr.on("data", () => {
      const match = /http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(stderr)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
  })
  return {
    url: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    /** Sends SIGTERM and resolves with the exit code. */
    stop: () => {
      child.kill("SIGTERM")
      return exited
    },
  }
}
