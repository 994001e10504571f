import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as PostgresCluster from "@coderops/pg-server"
import { useTestDatabase } from "@coderops/test-postgres"
import { afterAll, describe, expect, it } from "vitest"
import { coderops, startExporter } from "./cli.js"

/** A database with no Coder schema at all, as a new user's first target often is. */
const empty = useTestDatabase()

const notCoder =
  /^Error: database "t_[0-9a-f]+" at \S+ has no tables? (.+): it is not a Coder database, or it is not migrated$/m

/** The tables the error names, from its one problem line. */
const tablesNamed = (stderr: string) => notCoder.exec(stderr)?.[1]?.split(", ")

describe("a database that is not (yet) Coder's", () => {
  it("db purge api-keys names the database and the missing table, and how to fix it", async () => {
    for (const args of [
      ["db", "purge", "api-keys"],
      ["db", "purge", "api-keys", "--dry-run"],
    ]) {
      const result = await coderops([...args, "--database-url", empty.url])
      expect(result.code).toBe(1)
      expect(tablesNamed(result.stderr)).toEqual(["api_keys"])
      expect(result.stderr).toMatch(/^Hint: .*coderd's database.*`coderops migrate up`/m)
      expect(result.stderr).not.toContain("SQLSTATE")
    }
    const json = await coderops(["db", "purge", "api-keys", "--json", "--database-url", empty.url])
    expect(JSON.parse(json.stdout).error).toMatchObject({
      tag: "SchemaMissing",
      exitCode: 1,
      details: { database: empty.name, missing: ["api_keys"] },
    })
  })

  it("prebuilds status and reconcile name the tables they read", async () => {
    const status = await coderops(["prebuilds", "status", "--database-url", empty.url])
    expect(status.code).toBe(1)
    expect(tablesNamed(status.stderr)).toEqual(
      expect.arrayContaining(["organizations", "template_version_presets"]),
    )
    const reconcile = await coderops(["prebuilds", "reconcile", "--database-url", empty.url])
    expect(reconcile.code).toBe(1)
    expect(tablesNamed(reconcile.stderr)).toEqual(
      expect.arrayContaining(["organizations", "organization_members", "groups"]),
    )
  })

  it("metrics serve warns of the missing tables once per collector, and keeps serving", async () => {
    const exporter = await startExporter(empty.url)
    try {
      const response = await fetch(`${exporter.url}/metrics`)
      expect(response.status).toBe(200)
      const body = await response.text()
      expect(body).toMatch(/coderops_exporter_collector_up\{collector="api_keys_expired"\} 0/)
      const stderr = exporter.stderr()
      expect(stderr).toMatch(/api_keys_expired.*has no table api_keys/)
      expect(stderr).toMatch(/prebuilds_membership.*has no tables organizations/)
      expect(stderr).not.toContain("42P01")
    } finally {
      expect(await exporter.stop()).toBe(0)
    }
  })
})

describe("an unknown role", () => {
  const parent = mkdtemp(join(tmpdir(), "coderops-roles-"))
  afterAll(async () => rm(await parent, { recursive: true, force: true }))

  it("is reported as an unknown role where the server says so, and as either where it does not", async () => {
    const root = await parent
    await chmod(root, 0o755)
    const cluster = {
      binaries: await PostgresCluster.findBinaries(),
      dataDir: join(root, "data"),
      ephemeral: true,
    }
    await PostgresCluster.initCluster(cluster)
    // A server that trusts one role name on 127.0.0.1 (as trust, cert or peer setups do):
    // it authenticates the connection, then finds no such role (SQLSTATE 28000).
    const hba = join(cluster.dataDir, "pg_hba.conf")
    await writeFile(
      hba,
      `host all coderops_nobody 127.0.0.1/32 trust\n${await readFile(hba, "utf8")}`,
    )
    const port = await PostgresCluster.freePort()
    await PostgresCluster.startCluster(cluster, port)
    try {
      const unknown = await coderops([
        "db",
        "info",
        "--database-url",
        `postgres://coderops_nobody@127.0.0.1:${port}/postgres`,
      ])
      expect(unknown.code).toBe(5)
      expect(unknown.stderr).toMatch(
        /^Error: role "coderops_nobody" does not exist at coderops_nobody@127\.0\.0\.1:\d+\/postgres$/m,
      )
      expect(unknown.stderr).toMatch(
        /^Hint: correct the user name .*CREATE ROLE "coderops_nobody" LOGIN/m,
      )
      expect(unknown.stderr).not.toContain("password")
      const json = await coderops([
        "db",
        "info",
        "--json",
        "--database-url",
        `postgres://coderops_nobody@127.0.0.1:${port}/postgres`,
      ])
      expect(JSON.parse(json.stdout).error).toMatchObject({ tag: "RoleNotFound", exitCode: 5 })

      // Where the server asks for a password it does not say whether the role exists.
      const hidden = await coderops([
        "db",
        "info",
        "--database-url",
        `postgres://coderops_other:secret@127.0.0.1:${port}/postgres`,
      ])
      expect(hidden.code).toBe(5)
      expect(hidden.stderr).toMatch(/^Error: authentication failed for user "coderops_other"/m)
      expect(hidden.stderr).toMatch(/^Hint: .*same answer for a user that does not exist/m)
    } finally {
      await PostgresCluster.stopCluster(cluster, "immediate")
    }
  })
})
