import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { migrationsDir } from "@coderops/coder-schema"
import { createTestDatabase, databaseUrl, dropTestDatabase, sql } from "@coderops/test-postgres"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { coderops } from "./cli.js"

const slow = `ALTER TABLE api_keys ADD COLUMN scopes api_key_scope[];
UPDATE api_keys SET scopes = ARRAY[scope];
ALTER TABLE api_keys ADD COLUMN allow_list text[];
UPDATE api_keys SET allow_list = ARRAY['*:*'];
`

let dir: string
let name: string
let url: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "coderops-cli-lint-"))
  for (const suffix of ["up", "down"]) {
    const baseline = `000370_baseline.${suffix}.sql`
    await writeFile(join(dir, baseline), await readFile(join(migrationsDir, baseline), "utf8"))
  }
  await writeFile(join(dir, "000371_scopes.up.sql"), slow)
  await writeFile(join(dir, "000371_scopes.down.sql"), "SELECT 1;")
  name = await createTestDatabase()
  url = databaseUrl(name)
  const up = await coderops(["migrate", "goto", "370", "--dir", dir], {
    CODER_PG_CONNECTION_URL: url,
  })
  expect(up.code, up.stderr).toBe(0)
  await sql(
    url,
    `INSERT INTO users (id, email, username, created_at, updated_at, hashed_password)
       VALUES ('11111111-1111-4111-8111-111111111111', 'a@example.com', 'a', now(), now(), '');
     INSERT INTO api_keys (id, hashed_secret, user_id, last_used, expires_at, created_at, updated_at, login_type)
       SELECT 'k' || g, '\\x00', '11111111-1111-4111-8111-111111111111', now(),
              now() - (g % 20) * interval '1 day', now(), now(), 'password'
         FROM generate_series(1, 5000) g;
     ANALYZE api_keys;`,
  )
}, 120_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await dropTestDatabase(name)
})

describe("coderops migrate lint", () => {
  it("lints the pending migration, sizes it from the database, and exits 11 on an error", async () => {
    const result = await coderops(["migrate", "lint", "--dir", dir, "--error-after", "1ms"], {
      CODER_PG_CONNECTION_URL: url,
    })
    expect(result.stderr).toBe("")
    expect(result.code).toBe(11)
    expect(result.stdout).toContain("000371_scopes.up.sql")
    expect(result.stdout).toMatch(
      /4:1 {2}error {4}table-rewritten-twice {2}api_keys \(5,000 rows, [\d.]+ [kM]B; lock ≈ \d+ ms/,
    )
    expect(result.stdout).toMatch(
      /db purge api-keys --retention 168h` before the upgrade \(it would remove \d[\d,]* rows/,
    )
    expect(result.stdout).toMatch(
      /1 migration linted from version 370: \d+ errors, 0 warnings, 1 note;/,
    )
    expect(result.stdout).not.toContain("(s)")
  })

  it("exits 0 with only warnings and notes; --format sarif and github; --ignore", async () => {
    const env = { CODER_PG_CONNECTION_URL: url }
    const sarif = await coderops(["migrate", "lint", "--dir", dir, "--format", "sarif"], env)
    expect(sarif.code, sarif.stderr).toBe(0)
    const log = JSON.parse(sarif.stdout)
    expect(log.version).toBe("2.1.0")
    const results = log.runs[0].results as Array<{
      ruleId: string
      locations: Array<{ physicalLocation: { region: unknown } }>
    }>
    const twice = results.find((r) => r.ruleId === "table-rewritten-twice")!
    expect(twice.locations[0]?.physicalLocation.region).toEqual({ startLine: 4, startColumn: 1 })
    const github = await coderops(
      ["migrate", "lint", "--dir", dir, "--format", "github", "--ignore", "unbatched-dml"],
      env,
    )
    expect(github.stdout).toMatch(
      /^::notice file=.*000371_scopes\.up\.sql,line=4,col=1,title=coderops-lint table-rewritten-twice::/m,
    )
    expect(github.stdout).not.toContain("unbatched-dml")
  })

  it("without a database lints every migration on the embedded server and sizes nothing", async () => {
    const parent = await mkdtemp(join(tmpdir(), "coderops-cli-lint-data-"))
    // Run as root, the server runs as postgres, which must be able to enter the folder.
    await chmod(parent, 0o755)
    const data = join(parent, "pg")
    try {
      const result = await coderops(["migrate", "lint", "--dir", dir, "--from", "371", "--json"], {
        CODEROPS_DATA_DIR: data,
      })
      expect(result.code, result.stderr).toBe(0)
      const report = JSON.parse(result.stdout)
      expect(report.sized).toBe(false)
      expect(report.findings.map((f: { rule: string }) => f.rule)).toContain(
        "table-rewritten-twice",
      )
      await coderops(["db", "embedded", "stop"], { CODEROPS_DATA_DIR: data })
    } finally {
      await rm(parent, { recursive: true, force: true })
    }
  }, 120_000)
})
