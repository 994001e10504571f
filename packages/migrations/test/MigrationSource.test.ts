import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { migrationsDir } from "@coderops/coder-schema"
import * as Effect from "effect/Effect"
import { afterAll, describe, expect, it } from "vitest"
import { loadMigrations } from "../src/MigrationSource.js"

const root = await mkdtemp(join(tmpdir(), "coderops-migration-source-"))
afterAll(() => rm(root, { recursive: true, force: true }))

let dirs = 0
/** A fresh directory holding `files` (relative path → content). */
const directory = async (files: Record<string, string | Uint8Array>) => {
  const dir = join(root, `case-${++dirs}`)
  await mkdir(dir)
  for (const [relative, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, relative)), { recursive: true })
    await writeFile(join(dir, relative), content)
  }
  return dir
}

const load = (dir: string) => Effect.runPromise(loadMigrations(dir))
const failure = (dir: string) => Effect.runPromise(Effect.flip(loadMigrations(dir)))
const sha256 = (content: string | Uint8Array) => createHash("sha256").update(content).digest("hex")

/** A valid up/down pair for `prefix` (`000001_init`). */
const pair = (prefix: string, folder = "") => ({
  [`${folder}${prefix}.up.sql`]: `-- ${prefix}\nSELECT 1;\n`,
  [`${folder}${prefix}.down.sql`]: `SELECT 2;\n`,
})

describe("loadMigrations on a valid directory", () => {
  it("flattens archive folders, reads fixtures, and skips other folders and files", async () => {
    const files = {
      ...pair("000001_init", "000001-000100/"),
      "000001-000100/000002_users.up.sql": "CREATE TABLE users (name text DEFAULT 'é漢字');\n",
      "000001-000100/000002_users.down.sql": "DROP TABLE users;\n",
      "000001-000100/notes.txt": "ignored",
      ...pair("000150_gap", "000101-000200/"),
      ...pair("000201_add_index"),
      "README.md": "# migrations\n",
      ".gitkeep": "",
      "other/000999_skipped.up.sql": "SELECT 1;",
      "testdata/000998_skipped.up.sql": "SELECT 1;",
      "testdata/fixtures/000001_init.up.sql": "INSERT INTO t VALUES (1);\n",
      "testdata/fixtures/000150_b.up.sql": "INSERT INTO t VALUES (3);\n",
      "testdata/fixtures/000150_a.up.sql": "INSERT INTO t VALUES (2);\n",
      "testdata/fixtures/README.md": "fixtures\n",
      "testdata/fixtures/000150_a.down.sql": "ignored: fixtures are up only\n",
    }
    const dir = await directory(files)
    const set = await load(dir)

    expect(set.dir).toBe(dir)
    expect(set.migrations.map((m) => [m.version, m.title])).toEqual([
      [1, "init"],
      [2, "users"],
      [150, "gap"],
      [201, "add_index"],
    ])
    const users = set.migrations[1]!
    expect(users.up).toEqual({
      path: join(dir, "000001-000100/000002_users.up.sql"),
      name: "000002_users.up.sql",
      sql: files["000001-000100/000002_users.up.sql"],
      checksum: sha256(Buffer.from(files["000001-000100/000002_users.up.sql"], "utf8")),
      empty: false,
      noTransaction: false,
    })
    for (const migration of set.migrations) {
      const folder =
        migration.version <= 100
          ? "000001-000100/"
          : migration.version <= 200
            ? "000101-000200/"
            : ""
      const relative = `${folder}${migration.up.name}`
      expect(migration.up.checksum).toBe(sha256(files[relative as keyof typeof files]))
      expect(migration.down.path).toBe(join(dir, folder, migration.down.name))
    }

    expect([...set.fixtures.keys()]).toEqual([1, 150])
    expect(set.fixtures.get(150)!.map((f) => f.name)).toEqual([
      "000150_a.up.sql",
      "000150_b.up.sql",
    ])
    const fixture = set.fixtures.get(1)![0]!
    expect(fixture.path).toBe(join(dir, "testdata/fixtures/000001_init.up.sql"))
    expect(fixture.checksum).toBe(sha256(files["testdata/fixtures/000001_init.up.sql"]))
  })

  it("accepts any number of digits and orders by numeric version", async () => {
    const dir = await directory({ ...pair("10_ten"), ...pair("9_nine"), ...pair("0000011_eleven") })
    const set = await load(dir)
    expect(set.migrations.map((m) => m.version)).toEqual([9, 10, 11])
  })

  it("loads an empty directory as zero migrations", async () => {
    const set = await load(await directory({}))
    expect(set.migrations).toEqual([])
    expect(set.fixtures.size).toBe(0)
  })

  it("marks whitespace-only files empty, and a comment-only file not", async () => {
    const dir = await directory({
      "000001_blank.up.sql": " \n\t\r\n\u00a0",
      "000001_blank.down.sql": "",
      "000002_comment.up.sql": "-- nothing to do\n",
      "000002_comment.down.sql": "\n",
    })
    const [blank, comment] = (await load(dir)).migrations
    expect(blank!.up.empty).toBe(true)
    expect(blank!.down.empty).toBe(true)
    expect(comment!.up.empty).toBe(false)
    expect(comment!.down.empty).toBe(true)
  })

  it("detects the no-transaction directive only in the leading comment block", async () => {
    const index = "CREATE INDEX CONCURRENTLY idx ON t (id);\n"
    const cases: ReadonlyArray<readonly [string, boolean]> = [
      [`-- coder:no-transaction\n${index}`, true],
      [`-- Why this index.\n\n  -- coder:no-transaction  \r\n${index}`, true],
      [`--   coder:no-transaction\n${index}`, false],
      [`SELECT 1;\n-- coder:no-transaction\n${index}`, false],
      [`-- coder:no-transaction because reasons\n${index}`, false],
      [`-- CODER:NO-TRANSACTION\n${index}`, false],
      [`--coder:no-transaction\n${index}`, false],
      [`/* comment */\n-- coder:no-transaction\n${index}`, false],
      [index, false],
    ]
    const files: Record<string, string> = {}
    cases.forEach(([sql], i) => {
      const version = String(i + 1).padStart(6, "0")
      files[`${version}_case.up.sql`] = sql
      files[`${version}_case.down.sql`] = "DROP INDEX idx;\n"
    })
    const set = await load(await directory(files))
    expect(set.migrations.map((m) => m.up.noTransaction)).toEqual(cases.map(([, want]) => want))
    expect(set.migrations.every((m) => !m.down.noTransaction)).toBe(true)
  })

  it("loads the bundled Coder schema", async () => {
    const set = await load(migrationsDir)
    expect(set.migrations.map((m) => m.version)).toEqual([370, 371])
    expect([...set.fixtures.keys()]).toEqual([370, 371])
    for (const migration of set.migrations) {
      expect(migration.up.sql.length).toBeGreaterThan(0)
      expect(migration.down.checksum).toMatch(/^[0-9a-f]{64}$/)
    }
  })
})

describe("loadMigrations on a bad directory", () => {
  const expectProblem = async (
    files: Record<string, string | Uint8Array>,
    file: string,
    problem: RegExp,
  ) => {
    const dir = await directory(files)
    const error = await failure(dir)
    expect(error._tag).toBe("MigrationDirectoryError")
    expect(error.unreadable).toBe(false)
    expect(error.dir).toBe(dir)
    expect(error.problems).toEqual([{ file, problem: expect.stringMatching(problem) }])
    expect(error.message).toBe(
      `1 problem in migration directory ${dir}:\n  ${file}: ${error.problems[0]!.problem}`,
    )
  }

  it("rejects a .sql file with a bad name", () =>
    expectProblem(
      { ...pair("000001_init"), "000002_init.sql": "SELECT 1;" },
      "000002_init.sql",
      /^bad name: expected NNNNNN_title\.up\.sql or NNNNNN_title\.down\.sql$/,
    ))

  it("rejects a fixture whose migration does not exist (it would never run)", () =>
    expectProblem(
      { ...pair("000001_init"), "testdata/fixtures/000099_rows.up.sql": "SELECT 1;" },
      "testdata/fixtures/000099_rows.up.sql",
      /^no migration has version 99$/,
    ))

  it("rejects a file name found in the directory and an archive folder, naming both", async () => {
    const dir = await directory({
      ...pair("000001_init"),
      "000001-000100/000001_init.up.sql": "SELECT 1;\n",
      "000101-000200/000001_init.down.sql": "SELECT 2;\n",
    })
    const error = await failure(dir)
    expect(error.problems).toEqual([
      {
        file: "000001-000100/000001_init.up.sql",
        problem: "duplicate file name: also at 000001_init.up.sql",
      },
      {
        file: "000101-000200/000001_init.down.sql",
        problem: "duplicate file name: also at 000001_init.down.sql",
      },
    ])
  })

  it("rejects a file name found in two archive folders", () =>
    expectProblem(
      {
        ...pair("000001_init", "000001-000100/"),
        "000001-000200/000001_init.up.sql": "SELECT 1;\n",
      },
      "000001-000200/000001_init.up.sql",
      /^duplicate file name: also at 000001-000100\/000001_init\.up\.sql$/,
    ))

  it("rejects two files for one version and direction, naming both", () =>
    expectProblem(
      { ...pair("000005_a"), "000005_b.up.sql": "SELECT 3;\n" },
      "000005_b.up.sql",
      /^second up file for version 5: also 000005_a\.up\.sql$/,
    ))

  it("rejects versions written with different digit counts as the same version", () =>
    expectProblem(
      { ...pair("000005_a"), "5_a.down.sql": "SELECT 3;\n" },
      "5_a.down.sql",
      /^second down file for version 5: also 000005_a\.down\.sql$/,
    ))

  it("rejects an up without a down", () =>
    expectProblem(
      { ...pair("000001_init"), "000002_users.up.sql": "SELECT 1;\n" },
      "000002_users.up.sql",
      /^no down file for version 2 \(expected 000002_users\.down\.sql\)$/,
    ))

  it("rejects a down without an up", () =>
    expectProblem(
      { "000001-000100/000003_x.down.sql": "SELECT 1;\n" },
      "000001-000100/000003_x.down.sql",
      /^no up file for version 3 \(expected 000003_x\.up\.sql\)$/,
    ))

  it("rejects up and down files with different titles", () =>
    expectProblem(
      { "000004_add_users.up.sql": "SELECT 1;\n", "000004_add_user.down.sql": "SELECT 2;\n" },
      "000004_add_user.down.sql",
      /^title "add_user" differs from the up file 000004_add_users\.up\.sql \("add_users"\)$/,
    ))

  it("rejects a file that is not valid UTF-8, with the byte offset", () =>
    expectProblem(
      {
        ...pair("000001_init"),
        // A literal U+FFFD is valid; the bad sequence is C3 28 at byte 14.
        "000001_init.down.sql": Buffer.concat([
          Buffer.from("SELECT '\ufffd';\n", "utf8"),
          Buffer.from([0xc3, 0x28]),
        ]),
      },
      "000001_init.down.sql",
      /^not valid UTF-8 \(byte offset 14\)$/,
    ))

  it("rejects a file holding a NUL byte, with its line, column and byte offset", () =>
    expectProblem(
      { ...pair("000001_init"), "000001_init.down.sql": "SELECT 1;\nSELECT 'é\u0000';\n" },
      "000001_init.down.sql",
      /^contains a NUL byte at line 2, column 10 \(byte offset 20\), which PostgreSQL cannot take in SQL text$/,
    ))

  it("rejects a FIFO named like a migration without opening it", async () => {
    const dir = await directory(pair("000001_init"))
    execFileSync("mkfifo", [join(dir, "000002_pipe.up.sql")])
    await writeFile(join(dir, "000002_pipe.down.sql"), "SELECT 1;\n")
    const error = await failure(dir)
    expect(error.problems).toEqual([
      { file: "000002_pipe.up.sql", problem: "a FIFO (named pipe), not a regular file: not read" },
    ])
  })

  it("rejects a fixture that is not valid UTF-8", () =>
    expectProblem(
      { ...pair("000001_init"), "testdata/fixtures/000001_rows.up.sql": Buffer.from([0xff]) },
      "testdata/fixtures/000001_rows.up.sql",
      /^not valid UTF-8 \(byte offset 0\)$/,
    ))

  it("rejects a version beyond Number.MAX_SAFE_INTEGER", async () => {
    const error = await failure(await directory(pair("9007199254740993_huge")))
    expect(error.problems).toEqual([
      {
        file: "9007199254740993_huge.down.sql",
        problem: "version 9007199254740993 is larger than 9007199254740991",
      },
      {
        file: "9007199254740993_huge.up.sql",
        problem: "version 9007199254740993 is larger than 9007199254740991",
      },
    ])
  })

  it("reports a missing directory as one problem with the OS error", async () => {
    const dir = join(root, "does-not-exist")
    const error = await failure(dir)
    expect(error.problems).toEqual([{ file: ".", problem: expect.stringContaining("ENOENT") }])
    expect(error.message).toContain(`1 problem in migration directory ${dir}:\n  .: ENOENT`)
    expect(error.unreadable).toBe(true)
  })

  it("reports a file given as the directory", async () => {
    const dir = await directory({ "000001_init.up.sql": "SELECT 1;" })
    const error = await failure(join(dir, "000001_init.up.sql"))
    expect(error.problems).toEqual([{ file: ".", problem: expect.stringContaining("ENOTDIR") }])
  })

  it("reports every problem of the directory in one error", async () => {
    const dir = await directory({
      ...pair("000001_init"),
      "000001-000100/000001_init.up.sql": "SELECT 1;\n",
      "bad.sql": "SELECT 1;",
      "000002_lonely.up.sql": "SELECT 1;",
      "000003_a.up.sql": "SELECT 1;",
      "000003_b.down.sql": "SELECT 1;",
      "000004_x.up.sql": Buffer.from([0x80]),
      "000004_x.down.sql": "SELECT 1;",
      ...pair("000005_ok"),
    })
    const error = await failure(dir)
    expect(error.problems.map((p) => p.file)).toEqual([
      "000001-000100/000001_init.up.sql",
      "000002_lonely.up.sql",
      "000003_b.down.sql",
      "000004_x.up.sql",
      "bad.sql",
    ])
    expect(error.message.split("\n")).toEqual([
      `5 problems in migration directory ${dir}:`,
      "  000001-000100/000001_init.up.sql: duplicate file name: also at 000001_init.up.sql",
      "  000002_lonely.up.sql: no down file for version 2 (expected 000002_lonely.down.sql)",
      '  000003_b.down.sql: title "b" differs from the up file 000003_a.up.sql ("a")',
      "  000004_x.up.sql: not valid UTF-8 (byte offset 0)",
      "  bad.sql: bad name: expected NNNNNN_title.up.sql or NNNNNN_title.down.sql",
    ])
  })
})
