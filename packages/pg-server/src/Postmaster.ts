import { execFile } from "node:child_process"
import { readFile, readlink, realpath } from "node:fs/promises"
import { basename, join } from "node:path"
import { promisify } from "node:util"

const execFileAsync = promisify(execFile)

/**
 * Whether a process with this pid exists. EPERM means it does (it belongs to another
 * user); only ESRCH means it does not.
 */
export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** What the first lines of `postmaster.pid` record (PostgreSQL's lock file of a data directory). */
export interface PostmasterPidFile {
  readonly pid: number
  /** Line 4; absent while the server is still starting. */
  readonly port: number | undefined
}

const positiveInt = (text: string | undefined) => {
  const value = Number(text)
  return Number.isInteger(value) && value > 0 ? value : undefined
}

/** Parses `postmaster.pid`; undefined when it names no pid (a file being written, or garbage). */
export const parsePostmasterPid = (text: string): PostmasterPidFile | undefined => {
  const lines = text.split("\n")
  const pid = positiveInt(lines[0])
  if (pid === undefined) return undefined
  return { pid, port: positiveInt(lines[3]) }
}

export const readPostmasterPid = async (
  dataDir: string,
): Promise<PostmasterPidFile | undefined> => {
  const text = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined)
  return text === undefined ? undefined : parsePostmasterPid(text)
}

/** The arguments a process was started with; undefined when it is gone or hidden. */
const commandLine = async (pid: number): Promise<ReadonlyArray<string> | undefined> => {
  if (process.platform === "linux") {
    const text = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined)
    return text?.split("\0").filter((arg) => arg !== "")
  }
  // No /proc (macOS): ps prints the arguments joined by spaces.
  const result = await execFileAsync("ps", ["-p", String(pid), "-o", "args="]).catch(
    () => undefined,
  )
  return result?.stdout.trim().split(/\s+/)
}

/**
 * Whether `pid` is a PostgreSQL server running in `dataDir`. A pid from a stale
 * `postmaster.pid` may have been reused by any process; a postgres program whose
 * working directory is this data directory (the postmaster changes into it) can only be
 * the postmaster of this directory, as PostgreSQL allows one per directory.
 */
const isPostmasterOf = async (pid: number, dataDir: string): Promise<boolean> => {
  const args = await commandLine(pid)
  const program = args?.[0]
  if (program === undefined || basename(program) !== "postgres") return false
  if (process.platform === "linux") {
    // Unreadable (another user's process, or gone): not a server this user started.
    const [cwd, expected] = await Promise.all([
      readlink(`/proc/${pid}/cwd`).catch(() => undefined),
      realpath(dataDir).catch(() => undefined),
    ])
    return cwd !== undefined && cwd === expected
  }
  const at = args?.indexOf("-D") ?? -1
  return at >= 0 && args?.[at + 1] === dataDir
}

/**
 * The postmaster serving `dataDir`, from its `postmaster.pid`, verified to be that
 * server and not a process that reused the pid after an unclean stop.
 */
export const runningPostmaster = async (
  dataDir: string,
): Promise<PostmasterPidFile | undefined> => {
  const file = await readPostmasterPid(dataDir)
  if (file === undefined || !processAlive(file.pid)) return undefined
  if (!(await isPostmasterOf(file.pid, dataDir))) return undefined
  return file
}
