import { spawn } from "node:child_process"
import { chmod, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as PostgresCluster from "@coderops/pg-server"
import { sql } from "@coderops/test-postgres"
import { afterAll, describe, expect, it } from "vitest"
import { coderops } from "./cli.js"

const bin = fileURLToPath(new URL("../bin/run.js", import.meta.url))

const organizations = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, k) => {
    const i = from + k
    const id = (prefix: string) => `${prefix}-${String(i).padStart(12, "0")}`
    return `
      INSERT INTO organizations (id, name, display_name, created_at, updated_at, description) VALUES ('${id("22222222-2222-4222-8222")}', 'org-${i}', 'Org ${i}', now(), now(), '');
      INSERT INTO templates (id, created_at, updated_at, organization_id, name, active_version_id, created_by, provisioner)
        VALUES ('${id("33333333-3333-4333-8333")}', now(), now(), '${id("22222222-2222-4222-8222")}', 'tpl', '${id("44444444-4444-4444-8444")}', '11111111-1111-4111-8111-111111111111', 'terraform');
      INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, job_id, created_by, readme)
        VALUES ('${id("44444444-4444-4444-8444")}', '${id("33333333-3333-4333-8333")}', '${id("22222222-2222-4222-8222")}', now(), now(), 'v1', gen_random_uuid(), '11111111-1111-4111-8111-111111111111', '');
      INSERT INTO template_version_presets (template_version_id, name, desired_instances) VALUES ('${id("44444444-4444-4444-8444")}', 'small', 2);`
  }).join("\n")

describe("coderops prebuilds", () => {
  const parent = mkdtemp(join(tmpdir(), "coderops-restart-"))
  afterAll(async () => rm(await parent, { recursive: true, force: true }))

  it("reconcile --watch survives a PostgreSQL restart and converges again", async () => {
    const root = await parent
    await chmod(root, 0o755)
    const cluster = {
      binaries: await PostgresCluster.findBinaries(),
      dataDir: join(root, "data"),
      ephemeral: true,
    }
    const credentials = await PostgresCluster.initCluster(cluster)
    const port = await PostgresCluster.freePort()
    await PostgresCluster.startCluster(cluster, port)
    try {
      const url = `postgres://${credentials.user}:${credentials.password}@127.0.0.1:${port}/postgres`
      expect((await coderops(["migrate", "up", "--database-url", url])).code).toBe(0)
      await sql(
        url,
        `INSERT INTO users (id, email, username, created_at, updated_at, hashed_password) VALUES ('11111111-1111-4111-8111-111111111111', 'o@example.com', 'o', now(), now(), ''); ${organizations(1, 3)}`,
      )

      const child = spawn(
        process.execPath,
        [bin, "prebuilds", "reconcile", "--watch", "--interval", "1s", "--database-url", url],
        {
          env: { ...process.env, NODE_ENV: "production" },
        },
      )
      let stderr = ""
      child.stderr.on("data", (chunk) => {
        stderr += chunk
      })
      const exited = new Promise<number | null>((resolve) =>
        child.on("exit", (code) => resolve(code)),
      )
      const waitFor = (pattern: RegExp, after = 0) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`never saw ${pattern}:\n${stderr}`)),
            40_000,
          )
          const check = () => {
            if (pattern.test(stderr.slice(after))) {
              clearTimeout(timer)
              resolve()
            }
          }
          child.stderr.on("data", check)
          check()
        })
      try {
        await waitFor(/created 3 memberships, 3 groups, 3 group memberships/)
        await PostgresCluster.stopCluster(cluster, "fast")
        const outage = stderr.length
        await waitFor(/pass failed: .*retrying in/, outage)
        await PostgresCluster.startCluster(cluster, port)
        await sql(url, organizations(4, 4))
        const back = stderr.length
        await waitFor(/the database is back/, back)
        await waitFor(/created 1 membership, 1 group, 1 group membership /, back)
        const converged = await sql(
          url,
          "SELECT count(*)::int AS n FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE g.name = 'coderprebuiltworkspaces' AND gm.user_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'",
        )
        expect(converged).toEqual([{ n: 4 }])
      } finally {
        child.kill("SIGTERM")
      }
      expect(await exited).toBe(0)
      expect(stderr).toContain("stopped")

      const status = await coderops(["prebuilds", "status", "--json", "--database-url", url])
      const parsed = JSON.parse(status.stdout) as {
        organizations: Array<{ inGroup: boolean }>
        presets: Array<{ desired: number }>
      }
      expect(parsed.organizations).toHaveLength(4)
      expect(parsed.organizations.every((o) => o.inGroup)).toBe(true)
      expect(parsed.presets.map((p) => p.desired)).toEqual([2, 2, 2, 2])
      const again = await coderops(["prebuilds", "reconcile", "--json", "--database-url", url])
      expect(JSON.parse(again.stdout)).toMatchObject({
        leader: true,
        queries: 1,
        membershipsCreated: 0,
      })
    } finally {
      await PostgresCluster.stopCluster(cluster, "immediate")
    }
  })
})
