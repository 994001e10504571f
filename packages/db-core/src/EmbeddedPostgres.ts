import { readFile, writeFile } from "node:fs/promises"
import { join, resolve } from "node:path"
import {
  binariesVersion,
  clusterExists,
  clusterHome,
  findBinaries,
  freePort,
  initCluster,
  portIsFree,
  prepareRoot,
  runningPostmaster,
  startCluster,
  stopCluster,
} from "@coderops/pg-server"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import {
  type ConfigOverrides,
  connectionDefaults,
  connectionOptions,
  type DatabaseSettings,
} from "./DatabaseConfig.js"
import { embeddedClientClass } from "./internal/embeddedClient.js"
import { withFileLock } from "./internal/fileLock.js"
import { serverFailure as failure } from "./internal/serverFailure.js"

/** The database commands use on the embedded server (named like Coder's usual one). */
export const embeddedDatabase = "coder"

/** What `server.json` in the embedded root records between commands. */
interface ServerRecord {
  readonly port: number
  readonly user: string
  readonly password: string
  readonly version: string
}

export interface EmbeddedServer {
  readonly root: string
  readonly dataDir: string
  readonly port: number
  readonly version: string
  /** True when this call started the server; false when it was already running. */
  readonly started: boolean
  readonly settings: DatabaseSettings
}

export { defaultEmbeddedRoot } from "./internal/embeddedRoot.js"

const recordPath = (root: string) => join(root, "server.json")
const dataDirOf = (root: string) => join(root, "data")

const readRecord = async (root: string): Promise<ServerRecord | undefined> => {
  const text = await readFile(recordPath(root), "utf8").catch(() => undefined)
  return text === undefined ? undefined : (JSON.parse(text) as ServerRecord)
}

const settingsOf = (
  home: string,
  record: ServerRecord,
  port: number,
  overrides: ConfigOverrides,
  database: string,
): DatabaseSettings => ({
  source: "embedded",
  host: "127.0.0.1",
  port,
  database,
  user: record.user,
  password: Redacted.make(record.password, { label: "password" }),
  tls: { mode: "disable" },
  ...connectionOptions(overrides),
  embeddedDataDir: dataDirOf(home),
})

const createDatabase = async (port: number, record: ServerRecord) => {
  // Bootstrap before any Db exists: one connection to the maintenance database.
  const EmbeddedClient = embeddedClientClass(undefined)
  const client = new EmbeddedClient({
    host: "127.0.0.1",
    port,
    user: record.user,
    password: record.password,
    database: "postgres",
    application_name: connectionDefaults.applicationName,
  })
  await client.connect()
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [
      embeddedDatabase,
    ])
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${embeddedDatabase}`)
  } finally {
    await client.end()
  }
}

/**
 * Starts the persistent embedded server on demand and returns how to reach it. A file
 * lock in the root makes concurrent commands share one server: the first starts it,
 * the others wait and find it running. `database` is the one the settings name (only
 * `embeddedDatabase` is created here; another one must exist).
 */
export const ensureEmbeddedServer = Effect.fn("EmbeddedPostgres.ensureRunning")(function* (
  rootPath: string,
  overrides: ConfigOverrides = {},
  database: string = embeddedDatabase,
) {
  // Absolute, so that postmaster.pid and the server's working directory compare with it.
  const root = resolve(rootPath)
  return yield* Effect.tryPromise({
    try: async (): Promise<EmbeddedServer> => {
      // The folder of the server's files: the root, or a private one inside a shared root.
      const home = await prepareRoot(root)
      return withFileLock(join(home, "start.lock"), "2 minutes", async () => {
        const dataDir = dataDirOf(home)
        let record = await readRecord(home)
        const running = await runningPostmaster(dataDir)
        if (running !== undefined && record !== undefined) {
          const port = running.port ?? record.port
          return {
            root,
            dataDir,
            port,
            version: record.version,
            started: false,
            settings: settingsOf(home, record, port, overrides, database),
          }
        }
        const binaries = await findBinaries()
        if (record === undefined || !(await clusterExists(dataDir))) {
          const credentials = await initCluster({ binaries, dataDir })
          record = { port: 0, ...credentials, version: await binariesVersion(binaries) }
          await writeFile(recordPath(home), JSON.stringify(record, null, 2), { mode: 0o600 })
        }
        // Keep the port users may have noted, unless something else took it meanwhile.
        const port =
          record.port > 0 && (await portIsFree(record.port)) ? record.port : await freePort()
        await startCluster({ binaries, dataDir }, port)
        record = { ...record, port }
        await writeFile(recordPath(home), JSON.stringify(record, null, 2), { mode: 0o600 })
        await createDatabase(port, record)
        return {
          root,
          dataDir,
          port,
          version: record.version,
          started: true,
          settings: settingsOf(home, record, port, overrides, database),
        }
      })
    },
    catch: (cause) =>
      failure(root, `the embedded PostgreSQL server in ${root} could not be started`, cause),
  })
})

/** Stops the embedded server if it runs; returns whether it was running. */
export const stopEmbeddedServer = Effect.fn("EmbeddedPostgres.stop")(function* (root: string) {
  return yield* Effect.tryPromise({
    // The verified postmaster is signalled, so this needs neither the binaries nor PG_VERSION.
    try: async () => stopCluster({ dataDir: dataDirOf(await clusterHome(resolve(root))) }),
    catch: (cause) => failure(root, "could not stop the embedded server", cause),
  })
})
export interface EmbeddedStatus {
  readonly root: string
  readonly initialized: boolean
  readonly running: boolean
  readonly pid: number | undefined
  readonly port: number | undefined
  readonly version: string | undefined
}

/** Whether the embedded server exists and runs, without starting it. */
export const embeddedServerStatus = Effect.fn("EmbeddedPostgres.status")(function* (root: string) {
  return yield* Effect.promise(async (): Promise<EmbeddedStatus> => {
    const home = await clusterHome(resolve(root))
    const dataDir = dataDirOf(home)
    const record = await readRecord(home)
    // A running server counts as created, even if files of its directory were removed.
    const running = await runningPostmaster(dataDir)
    return {
      root,
      initialized:
        record !== undefined && (running !== undefined || (await clusterExists(dataDir))),
      running: running !== undefined,
      pid: running?.pid,
      port: running?.port,
      version: record?.version,
    }
  })
})
