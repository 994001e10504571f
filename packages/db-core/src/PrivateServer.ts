import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  clusterHome,
  findBinaries,
  freePort,
  initCluster,
  prepareRoot,
  processAlive,
  startCluster,
  stopCluster,
} from "@coderops/pg-server"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { connectionOptions, type DatabaseSettings } from "./DatabaseConfig.js"
import type { EmbeddedPostgresError } from "./EmbeddedPostgresError.js"
import { serverFailure } from "./internal/serverFailure.js"

/** Server parameters by name (`shared_buffers` → `16MB`), set at a start. */
export type ServerParameters = Readonly<Record<string, string>>

/**
 * A PostgreSQL server of this process's own: a new cluster in a temporary folder, for work
 * that must not run on a user's server (a rehearsal's scratch databases) or that needs
 * settings only a start can change. Stopped and removed when its scope closes.
 */
export interface PrivateServer {
  /** The superuser on the `postgres` database. */
  readonly settings: DatabaseSettings
  /** Its data directory, in a temporary folder removed with the server. */
  readonly dataDir: string
  /**
   * Restarts the server with these parameters (over postgresql.conf's); nothing to do when
   * they are the ones it runs with.
   */
  readonly restart: (parameters: ServerParameters) => Effect.Effect<void, EmbeddedPostgresError>
}

const folderPrefix = "coderops-private-pg-"

/**
 * Servers whose process was killed outright (no scope closed): stopped and removed, so that
 * a `kill -9` does not leave a server running in the temporary folder for good.
 */
const removeAbandoned = async (parent: string) => {
  const entries = await readdir(parent).catch(() => [])
  for (const entry of entries.filter((name) => name.startsWith(folderPrefix))) {
    const folder = join(parent, entry)
    const owner = Number(await readFile(join(folder, "owner.pid"), "utf8").catch(() => "0"))
    if (owner > 0 && processAlive(owner)) continue
    // No owner yet may be a server another process is making this very moment.
    const made = await stat(folder).then(
      (info) => info.mtimeMs,
      () => 0,
    )
    if (owner === 0 && Date.now() - made < 60_000) continue
    // Another account's folder is not ours to clean: leave it to its owner.
    await clusterHome(folder)
      .then((home) => stopCluster({ dataDir: join(home, "data") }, "immediate"))
      .then(() => rm(folder, { recursive: true, force: true }))
      .catch(() => undefined)
  }
}

/**
 * Starts a private server with `parameters`, in a new folder inside `parent` (default: the
 * system's temporary folder); it lives as long as the scope.
 */
export const privateServer = Effect.fn("PrivateServer.start")(function* (
  parameters: ServerParameters = {},
  parent: string = tmpdir(),
) {
  // Released last: the folder goes once the server in it has stopped (or never started).
  const root = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        await removeAbandoned(parent)
        const folder = await mkdtemp(join(parent, folderPrefix))
        // Root runs the server as `postgres`, which must be able to enter this 0700 folder.
        await chmod(folder, 0o755)
        await writeFile(join(folder, "owner.pid"), String(process.pid))
        return folder
      },
      catch: (cause) => serverFailure(parent, "a folder for a private server", cause, "private"),
    }),
    (folder) => Effect.promise(() => rm(folder, { recursive: true, force: true })),
  )
  const home = yield* Effect.tryPromise({
    try: () => prepareRoot(root),
    catch: (cause) => serverFailure(root, "a folder for a private server", cause, "private"),
  })
  const options = { dataDir: join(home, "data") }
  const cluster = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const binaries = await findBinaries()
        const credentials = await initCluster({ ...options, binaries })
        const port = await freePort()
        await startCluster({ ...options, binaries }, port, parameters)
        return { options: { ...options, binaries }, credentials, port }
      },
      catch: (cause) =>
        serverFailure(root, "the private PostgreSQL server could not be started", cause, "private"),
    }),
    () => Effect.promise(() => stopCluster(options, "immediate").catch(() => false)),
  )
  const settings: DatabaseSettings = {
    source: "private",
    host: "127.0.0.1",
    port: cluster.port,
    database: "postgres",
    user: cluster.credentials.user,
    password: Redacted.make(cluster.credentials.password, { label: "password" }),
    tls: { mode: "disable" },
    ...connectionOptions({}),
  }
  let running = parameters
  const same = (next: ServerParameters) =>
    Object.keys({ ...running, ...next }).every((name) => running[name] === next[name])
  return {
    settings,
    dataDir: cluster.options.dataDir,
    restart: (next: ServerParameters) =>
      Effect.tryPromise({
        try: async () => {
          if (same(next)) return
          await stopCluster(cluster.options, "fast")
          await startCluster(cluster.options, cluster.port, next)
          running = next
        },
        catch: (cause) =>
          serverFailure(
            root,
            "the private PostgreSQL server could not be restarted",
            cause,
            "private",
          ),
      }),
  } satisfies PrivateServer
})
