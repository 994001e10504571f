import { execFile, spawn } from "node:child_process"
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
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

/**
 * A folder of a test's own for the embedded server (`env` sets CODEROPS_DATA_DIR inside it),
 * enterable by the `postgres` account root runs the server as; `remove` stops the server
 * and deletes the folder.
 */
export const embeddedFolder = async (prefix: string) => {
  const parent = await mkdtemp(join(tmpdir(), prefix))
  await chmod(parent, 0o755)
  const env = { CODEROPS_DATA_DIR: join(parent, "pg") }
  return {
    parent,
    env,
    remove: async () => {
      await coderops(["db", "embedded", "stop"], env)
      await rm(parent, { recursive: true, force: true })
    },
  }
}

/** Starts `coderops ARGS` in the background: its output as it comes, and its exit code. */
export const startCoderops = (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined> = {},
) => {
  const running = launch(args, env)
  return {
    kill: running.kill,
    /** The exit code; -1 when a signal ended it. */
    exited: running.exited.then(({ code, signal }) => code ?? (signal ? -1 : null)),
    /** Resolves once stderr matches `pattern`; fails after 30 s. */
    waitFor: (pattern: RegExp) =>
      running.waitFor(() => pattern.test(running.stderr()), `${pattern}`),
    stderr: running.stderr,
    stdout: running.stdout,
  }
}

/** The environment of a shell a user opens: no pnpm or vitest variables, no test database. */
export const userShellEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (/^(npm_|pnpm_|VITEST|NODE_ENV$|DATABASE_URL$|CODER_PG_CONNECTION_URL$)/i.test(key)) continue
    env[key] = value
  }
  return { ...env, ...extra }
}

/** Runs an executable (the launcher, an installed `coderops`, npm) and collects its output. */
export const runFile = (
  file: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>,
): Promise<CliResult & { readonly pid: number | undefined }> =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => {
      stdout += chunk
    })
    child.stderr.on("data", (chunk) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, pid: child.pid }))
  })

/** Starts `coderops metrics serve` on a free port; resolves once it listens. */
export const startExporter = async (databaseUrl: string, args: ReadonlyArray<string> = []) => {
  const running = launch(["metrics", "serve", "--metrics-addr", "127.0.0.1:0", ...args], {
    DATABASE_URL: databaseUrl,
  })
  const listening = /http:\/\/127\.0\.0\.1:(\d+)\/metrics/
  await running.waitFor(() => listening.test(running.stderr()), "the exporter listening")
  return {
    url: `http://127.0.0.1:${listening.exec(running.stderr())![1]}`,
    stderr: running.stderr,
    /** Sends SIGTERM and resolves with the exit code. */
    stop: async () => (await running.stop("SIGTERM")).code,
  }
}

/**
 * The real Node 24 binary of the repository's `node` devDependency: what a service
 * manager starts. (`node_modules/.bin/node` is a shell wrapper that does not pass signals.)
 */
export const node = fileURLToPath(new URL("../../../node_modules/node/bin/node", import.meta.url))

/** A long-running command started as a service manager starts it, its output collected. */
export interface Running {
  readonly pid: number
  readonly stdout: () => string
  readonly stderr: () => string
  /** The JSON objects it wrote to stdout so far, one per line (with --json). */
  readonly events: () => ReadonlyArray<Record<string, unknown>>
  /** Resolves once `test` holds for what it wrote; rejects when it exits first or after 30 s. */
  readonly waitFor: (test: () => boolean, what: string) => Promise<void>
  readonly exited: Promise<{ readonly code: number | null; readonly signal: string | null }>
  readonly kill: (signal: NodeJS.Signals) => void
  /** Sends `signal`; resolves with how it exited and how long that took. */
  readonly stop: (signal: NodeJS.Signals) => Promise<{
    readonly code: number | null
    readonly signal: string | null
    readonly ms: number
  }>
}

/** Starts `command args` (default: the CLI on the real node binary) without the caller's database variables. */
export const launch = (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined> = {},
  command: ReadonlyArray<string> = [node, bin],
): Running => {
  const { DATABASE_URL: _a, CODER_PG_CONNECTION_URL: _b, ...rest } = process.env
  const [file, ...leading] = command
  const child = spawn(file!, [...leading, ...args], {
    env: { ...rest, NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let stdout = ""
  let stderr = ""
  const listeners = new Set<() => void>()
  const changed = () => {
    for (const listener of listeners) listener()
  }
  child.stdout.on("data", (chunk) => {
    stdout += chunk
    changed()
  })
  child.stderr.on("data", (chunk) => {
    stderr += chunk
    changed()
  })
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  )
  let hasExited = false
  void exited.then(() => {
    hasExited = true
    changed()
  })
  const events = () =>
    stdout
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  const waitFor = (test: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer)
        listeners.delete(check)
        if (error) reject(error)
        else resolve()
      }
      const check = () => {
        if (test()) done()
        else if (hasExited) done(new Error(`exited before ${what}: ${stderr}`))
      }
      const timer = setTimeout(() => done(new Error(`no ${what} within 30 s: ${stderr}`)), 30_000)
      listeners.add(check)
      check()
    })
  return {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    events,
    waitFor,
    exited,
    kill: (signal) => {
      child.kill(signal)
    },
    stop: async (signal) => {
      const started = performance.now()
      child.kill(signal)
      const result = await exited
      return { ...result, ms: performance.now() - started }
    },
  }
}

/** The parent of each process, read from /proc (the command name may hold spaces and parentheses). */
const parents = async (): Promise<Map<number, number>> => {
  const map = new Map<number, number>()
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => undefined)
    if (stat === undefined) continue
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
    map.set(Number(entry), ppid)
  }
  return map
}

/** Every process below `pid` (children, their children, ...). */
export const descendantsOf = async (pid: number): Promise<ReadonlyArray<number>> => {
  const map = await parents()
  const found: Array<number> = []
  let frontier = [pid]
  while (frontier.length > 0) {
    const next = [...map].filter(([, ppid]) => frontier.includes(ppid)).map(([child]) => child)
    found.push(...next)
    frontier = next
  }
  return found
}

/** Whether a process with this id exists (and is not a zombie). */
export const processAlive = async (pid: number): Promise<boolean> => {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined)
  return stat !== undefined && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z"
}

/** Whether something accepts TCP connections on host:port. */
export const portOpen = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })
