import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { migrationsDir, slow371Path } from "@coderops/coder-schema"
import { createTestDatabase, databaseUrl, dropTestDatabase, sql } from "@coderops/test-postgres"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { coderops } from "./cli.js"

// The slow original 000371 ships with the bundled schema; the fast one is its migration.
const slowPath = slow371Path
const fastPath = join(migrationsDir, "000371_api_key_scopes_array_allow_list.up.sql")

let root: string
let name: string
let url: string

const directory = async (form: "slow" | "fast") => {
  const dir = join(root, form)
  await mkdir(dir)
  for (const suffix of ["up", "down"]) {
    const baseline = `000370_baseline.${suffix}.sql`
    await writeFile(join(dir, baseline), await readFile(join(migrationsDir, baseline), "utf8"))
  }
  const file = "000371_api_key_scopes_array_allow_list"
  await writeFile(
    join(dir, `${file}.up.sql`),
    await readFile(form === "slow" ? slowPath : fastPath, "utf8"),
  )
  await writeFile(join(dir, `${file}.down.sql`), "SELECT 1;")
  return dir
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "coderops-cli-rehearse-"))
  await directory("slow")
  await directory("fast")
  name = await createTestDatabase()
  url = databaseUrl(name)
  const up = await coderops(["migrate", "goto", "370", "--dir", join(root, "slow")], {
    CODER_PG_CONNECTION_URL: url,
  })
  expect(up.code, up.stderr).toBe(0)
  // 40,000 keys, 90% expired more than 7 days ago.
  await sql(
    url,
    `INSERT INTO users (id, email, username, created_at, updated_at, hashed_password)
       VALUES ('11111111-1111-4111-8111-111111111111', 'a@example.com', 'a', now(), now(), '');
     INSERT INTO api_keys (id, hashed_secret, user_id, last_used, expires_at, created_at, updated_at, login_type)
       SELECT 'k' || g, '\\x00', '11111111-1111-4111-8111-111111111111', now(),
              CASE WHEN g % 10 = 0 THEN now() + interval '30 days'
                   ELSE now() - (8 + g % 300) * interval '1 day' END,
              now(), now(), 'password'
         FROM generate_series(1, 40000) g;
     ANALYZE;`,
  )
}, 120_000)

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
  await dropTestDatabase(name)
})

interface Estimates {
  readonly variants: ReadonlyArray<{
    readonly name: string
    readonly estimates: ReadonlyArray<{
      readonly version: number
      readonly blocking: ReadonlyArray<{
        readonly table: string
        readonly blocked: { readonly predicted: number }
      }>
    }>
  }>
}

const blockedApiKeys = (r: Estimates, variant: string) =>
  r.variants
    .find((v) => v.name === variant)!
    .estimates[0]!.blocking.find((b) => b.table === "api_keys")!.blocked.predicted

describe("coderops migrate rehearse", () => {
  it("shows the slow 000371 blocking api_keys far longer than the fast one, and writes the report", async () => {
    const report = join(root, "slow.html")
    const args = ["migrate", "rehearse", "--scales", "0.1,0.3,0.6", "--json"]
    const slow = await coderops([...args, "--dir", join(root, "slow"), "--report", report], {
      CODER_PG_CONNECTION_URL: url,
    })
    expect(slow.code, slow.stderr).toBe(0)
    const fast = await coderops([...args, "--dir", join(root, "fast")], {
      CODER_PG_CONNECTION_URL: url,
    })
    expect(fast.code, fast.stderr).toBe(0)
    const slowResult = JSON.parse(slow.stdout) as Estimates
    const fastResult = JSON.parse(fast.stdout) as Estimates
    const slowBlocked = blockedApiKeys(slowResult, "as-is")
    const fastBlocked = blockedApiKeys(fastResult, "as-is")
    // Two full rewrites of every key against one rewrite of the 10% kept.
    expect(slowBlocked).toBeGreaterThan(3 * fastBlocked)
    // A purge first shortens the slow form's block too.
    expect(blockedApiKeys(slowResult, "purged")).toBeLessThan(slowBlocked / 2)
    const html = await readFile(report, "utf8")
    expect(html).toContain('class="chart lock-timeline"')
    expect(html).toContain('data-version="371"')
    // The database itself was not touched.
    const [row] = await sql<{ version: string }>(url, "SELECT version::text FROM schema_migrations")
    expect(row?.version).toBe("370")
  }, 300_000)

  it("upgrade plan --rehearse recommends the purge with its measured effect, as Markdown", async () => {
    const plan = await coderops(
      [
        "upgrade",
        "plan",
        "--dir",
        join(root, "slow"),
        "--rehearse",
        "--scales",
        "0.1,0.3,0.6",
        "--format",
        "markdown",
      ],
      { CODER_PG_CONNECTION_URL: url },
    )
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).toContain("# Coder database upgrade: 370 → 371")
    expect(plan.stdout).toMatch(
      /db purge api-keys` first: removes 36k of 40k rows; 000371 then blocks api_keys ≈ .+ instead of ≈ /,
    )
    expect(plan.stdout).toContain("table-rewritten-twice")
    expect(plan.stdout).toContain("one replica")
  }, 300_000)

  it("runs on a server of its own: a role that may not create databases is rehearsed, a TMPDIR it cannot use is said", async () => {
    // A reader of the database, no CREATEDB: the scratch databases are not made on its server.
    const role = `rehearse_${name}`
    await sql(
      url,
      `CREATE ROLE ${role} LOGIN PASSWORD 'reader-pw'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`,
    )
    try {
      const reader = new URL(url)
      reader.username = role
      reader.password = "reader-pw"
      const args = ["migrate", "rehearse", "--dir", join(root, "fast"), "--scales", "0.1", "--json"]
      const env = { CODER_PG_CONNECTION_URL: reader.toString() }
      const rehearsed = await coderops(args, env)
      expect(rehearsed.code, rehearsed.stderr).toBe(0)
      const result = JSON.parse(rehearsed.stdout) as {
        scratchServer?: string
        scaledFrom: { sharedBuffersBytes: number }
        variants: ReadonlyArray<{ runs: ReadonlyArray<{ cache: { sharedBuffersBytes: number } }> }>
      }
      expect(result.scratchServer ?? null).toBeNull()
      // 10% of the rows on about 10% of the database server's shared_buffers.
      const atTenth = result.variants[0]!.runs[0]!.cache.sharedBuffersBytes
      expect(atTenth).toBeLessThan(result.scaledFrom.sharedBuffersBytes / 5)
      const missing = join(root, "no-such-folder")
      const refused = await coderops(args, { ...env, TMPDIR: missing })
      expect(refused.code, refused.stdout).toBe(8)
      const error = (JSON.parse(refused.stdout) as { error: { message: string; hint: string } })
        .error
      expect(error.message).toContain(missing)
      expect(error.hint).toMatch(/TMPDIR/)
      expect(error.hint).toMatch(/--scratch-url/)
    } finally {
      await sql(url, `DROP OWNED BY ${role}; DROP ROLE ${role}`)
    }
  }, 300_000)
})
