import { createHash } from "node:crypto"
import type { Dirent } from "node:fs"
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs"
import { readdir, stat } from "node:fs/promises"
import { basename, dirname, join, resolve } from "node:path"
import { lineAndColumnAt } from "@coderops/db-core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { printable } from "./printable.js"

export interface MigrationFile {
  /** Absolute path. */
  readonly path: string
  /** File name, without its folder. */
  readonly name: string
  readonly sql: string
  /** sha256 (hex) of the file's bytes. */
  readonly checksum: string
  /** Whitespace only: Coder's driver skips such a file, but still records its version. */
  readonly empty: boolean
  /** The leading comment block holds `-- coder:no-transaction`. */
  readonly noTransaction: boolean
}

export interface Migration {
  readonly version: number
  readonly title: string
  readonly up: MigrationFile
  readonly down: MigrationFile
}

export interface MigrationSet {
  /** Absolute path of the directory. */
  readonly dir: string
  /** Ascending by version. */
  readonly migrations: ReadonlyArray<Migration>
  /** `testdata/fixtures/NNNNNN_*.up.sql` by version, each list sorted by file name. */
  readonly fixtures: ReadonlyMap<number, ReadonlyArray<MigrationFile>>
}

export interface DirectoryProblem {
  /** Path relative to the directory; "." for the directory itself. */
  readonly file: string
  readonly problem: string
}

/** Everything wrong with a migration directory, found in one pass. */
export class MigrationDirectoryError extends Data.TaggedError("MigrationDirectoryError")<{
  readonly dir: string
  readonly problems: ReadonlyArray<DirectoryProblem>
  /** The directory itself could not be read (the only problem). */
  readonly unreadable: boolean
  readonly message: string
}> {}

const migrationName = /^(\d+)_(.+)\.(up|down)\.sql$/
const fixtureName = /^(\d+)_.+\.up\.sql$/
/** Coder keeps older migrations in folders of 100 (`000001-000100`), flattened into one set. */
const archiveFolder = /^\d+-\d+$/
const fixturesFolder = "testdata/fixtures"

/** Go's unicode.IsSpace: Coder's driver skips a file when strings.TrimSpace leaves nothing. */
const goSpace =
  "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
const onlyGoSpace = new RegExp(`^[${goSpace}]*$`)
const goSpaceAtEnds = new RegExp(`^[${goSpace}]+|[${goSpace}]+$`, "g")
const trimGoSpace = (text: string) => text.replace(goSpaceAtEnds, "")

// Exactly as coderd matches it (the trimmed line, one space), so both agree on every file.
const noTransactionDirective = /^-- coder:no-transaction$/

/** Only the leading block of comment and blank lines counts, as in Coder's driver. */
const hasNoTransactionDirective = (sql: string): boolean => {
  for (const raw of sql.split("\n")) {
    const line = trimGoSpace(raw)
    if (noTransactionDirective.test(line)) return true
    if (line !== "" && !line.startsWith("--")) return false
  }
  return false
}

// Keep a byte-order mark in the text: golang-migrate sends the file's bytes unchanged.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const lenientUtf8 = new TextDecoder("utf-8", { ignoreBOM: true })

/**
 * Byte offset of the first invalid sequence: the first U+FFFD of a lenient decoding
 * that is not a literal EF BF BD in the file. Everything before it encodes back to
 * the same bytes, so its UTF-8 length is the offset.
 */
const invalidUtf8Offset = (bytes: Uint8Array): number | undefined => {
  const text = lenientUtf8.decode(bytes)
  let offset = 0
  let from = 0
  for (let i = text.indexOf("\ufffd"); i !== -1; i = text.indexOf("\ufffd", i + 1)) {
    offset += Buffer.byteLength(text.slice(from, i), "utf8")
    if (bytes[offset] !== 0xef || bytes[offset + 1] !== 0xbf || bytes[offset + 2] !== 0xbd) {
      return offset
    }
    offset += 3
    from = i + 1
  }
  return undefined
}

type FileKind = Pick<
  Dirent,
  "isDirectory" | "isFile" | "isFIFO" | "isSocket" | "isCharacterDevice" | "isBlockDevice"
>

const specialKind = (kind: FileKind): string | undefined =>
  kind.isFile() || kind.isDirectory()
    ? undefined
    : kind.isFIFO()
      ? "a FIFO (named pipe)"
      : kind.isSocket()
        ? "a socket"
        : kind.isCharacterDevice() || kind.isBlockDevice()
          ? "a device"
          : "of an unknown kind"

const osError = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/**
 * A file's problem text, or the file. Read synchronously: a directory holds hundreds of
 * small files, and one thread-pool round trip per file cost five times as much (Coder's
 * ~750 files: about 50 ms against 10) on every command's start.
 */
const readMigrationFile = (
  path: string,
  name: string,
  special: string | undefined,
): MigrationFile | string => {
  if (special !== undefined) return `${special}, not a regular file: not read`
  let bytes: Buffer
  let fd: number | undefined
  try {
    // Listed as a regular file, but replaced since? Non-blocking, a FIFO opens at once.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
    const kind = specialKind(fstatSync(fd))
    if (kind !== undefined) return `${kind}, not a regular file: not read`
    bytes = readFileSync(fd)
  } catch (cause) {
    return `cannot read: ${osError(cause)}`
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  let sql: string
  try {
    sql = strictUtf8.decode(bytes)
  } catch {
    const offset = invalidUtf8Offset(bytes)
    return offset === undefined ? "not valid UTF-8" : `not valid UTF-8 (byte offset ${offset})`
  }
  // The server reads a query up to its first NUL: the rest of the file would vanish.
  const nul = sql.indexOf("\0")
  if (nul !== -1) {
    const { line, column } = lineAndColumnAt(sql, nul)
    return `contains a NUL byte at line ${line}, column ${column} (byte offset ${bytes.indexOf(0)}), which PostgreSQL cannot take in SQL text`
  }
  return {
    path,
    name,
    sql,
    checksum: createHash("sha256").update(bytes).digest("hex"),
    empty: onlyGoSpace.test(sql),
    noTransaction: hasNoTransactionDirective(sql),
  }
}

interface Entry {
  readonly name: string
  readonly isDirectory: boolean
  /**
   * What the entry is when it is neither a regular file nor a folder (a FIFO, a socket,
   * a device): such a file is never opened, as reading a FIFO blocks until a writer
   * comes, and a device may never end.
   */
  readonly special: string | undefined
}

/** A folder's entries sorted by name; a symbolic link counts as what it points to. */
const listFolder = async (path: string): Promise<ReadonlyArray<Entry>> => {
  const entries = await readdir(path, { withFileTypes: true })
  const listed = await Promise.all(
    entries.map(async (entry): Promise<Entry> => {
      const kind: FileKind | undefined = entry.isSymbolicLink()
        ? // A dangling link is reported when it is read, if it is a migration.
          await stat(join(path, entry.name)).catch(() => undefined)
        : entry
      return {
        name: entry.name,
        isDirectory: kind?.isDirectory() ?? false,
        special: kind === undefined ? undefined : specialKind(kind),
      }
    }),
  )
  return listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

interface Found {
  /** Path relative to the directory, for messages. */
  readonly relative: string
  readonly path: string
  readonly name: string
  readonly special: string | undefined
}

interface Named extends Found {
  readonly version: number
  readonly digits: string
  readonly title: string
  readonly direction: "up" | "down"
  readonly file: MigrationFile | undefined
}

interface Scan {
  readonly migrations: ReadonlyArray<Migration>
  readonly fixtures: ReadonlyMap<number, ReadonlyArray<MigrationFile>>
  readonly problems: ReadonlyArray<DirectoryProblem>
}

const parseVersion = (digits: string): number | string =>
  Number.isSafeInteger(Number(digits))
    ? Number(digits)
    : `version ${digits} is larger than ${Number.MAX_SAFE_INTEGER}`

const scanDirectory = async (dir: string): Promise<Scan> => {
  const problems: DirectoryProblem[] = []
  const problem = (file: string, text: string) => problems.push({ file, problem: text })

  let top: ReadonlyArray<Entry>
  try {
    top = await listFolder(dir)
  } catch (cause) {
    return {
      migrations: [],
      fixtures: new Map(),
      problems: [{ file: ".", problem: osError(cause) }],
    }
  }

  // Files directly in the directory first, then those of each archive folder.
  const found: Found[] = top
    .filter((entry) => !entry.isDirectory)
    .map((entry) => ({
      relative: entry.name,
      path: join(dir, entry.name),
      name: entry.name,
      special: entry.special,
    }))
  for (const folder of top.filter((e) => e.isDirectory && archiveFolder.test(e.name))) {
    try {
      for (const entry of await listFolder(join(dir, folder.name))) {
        if (entry.isDirectory) continue
        const relative = `${folder.name}/${entry.name}`
        found.push({
          relative,
          path: join(dir, folder.name, entry.name),
          name: entry.name,
          special: entry.special,
        })
      }
    } catch (cause) {
      problem(folder.name, `cannot read archive folder: ${osError(cause)}`)
    }
  }

  const byName = new Map<string, Found>()
  const candidates: Array<Omit<Named, "file">> = []
  for (const entry of found) {
    if (!entry.name.endsWith(".sql")) continue
    const first = byName.get(entry.name)
    if (first !== undefined) {
      problem(entry.relative, `duplicate file name: also at ${first.relative}`)
      continue
    }
    byName.set(entry.name, entry)
    const match = migrationName.exec(entry.name)
    if (match === null) {
      problem(entry.relative, "bad name: expected NNNNNN_title.up.sql or NNNNNN_title.down.sql")
      continue
    }
    const [, digits = "", title = "", direction] = match
    const version = parseVersion(digits)
    if (typeof version === "string") {
      problem(entry.relative, version)
      continue
    }
    candidates.push({ ...entry, version, digits, title, direction: direction as "up" | "down" })
  }

  const named = candidates.map((candidate): Named => {
    const file = readMigrationFile(candidate.path, candidate.name, candidate.special)
    if (typeof file === "string") problem(candidate.relative, file)
    return { ...candidate, file: typeof file === "string" ? undefined : file }
  })

  const byVersion = new Map<number, { up?: Named; down?: Named }>()
  for (const entry of named) {
    const pair = byVersion.get(entry.version) ?? {}
    const other = pair[entry.direction]
    if (other !== undefined) {
      problem(
        entry.relative,
        `second ${entry.direction} file for version ${entry.version}: also ${other.relative}`,
      )
      continue
    }
    pair[entry.direction] = entry
    byVersion.set(entry.version, pair)
  }

  const migrations: Migration[] = []
  for (const [version, { up, down }] of [...byVersion].sort(([a], [b]) => a - b)) {
    if (up === undefined || down === undefined) {
      const present = (up ?? down)!
      const missing = up === undefined ? "up" : "down"
      problem(
        present.relative,
        `no ${missing} file for version ${version} (expected ${present.digits}_${present.title}.${missing}.sql)`,
      )
      continue
    }
    if (up.title !== down.title) {
      problem(
        down.relative,
        `title "${down.title}" differs from the up file ${up.relative} ("${up.title}")`,
      )
      continue
    }
    if (up.file !== undefined && down.file !== undefined) {
      migrations.push({ version, title: up.title, up: up.file, down: down.file })
    }
  }

  const fixtures = await scanFixtures(dir, problem)
  for (const [version, files] of fixtures) {
    // A fixture whose migration was renumbered or removed would silently never run.
    if (byVersion.has(version)) continue
    for (const file of files) {
      problem(`${fixturesFolder}/${file.name}`, `no migration has version ${version}`)
    }
  }
  return { migrations, fixtures, problems }
}

/** Coder's test data applied right after the migration with the same number. */
const scanFixtures = async (
  dir: string,
  problem: (file: string, text: string) => void,
): Promise<ReadonlyMap<number, ReadonlyArray<MigrationFile>>> => {
  const folder = join(dir, fixturesFolder)
  let entries: ReadonlyArray<Entry>
  try {
    entries = await listFolder(folder)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== "ENOENT") {
      problem(fixturesFolder, `cannot read fixtures folder: ${osError(cause)}`)
    }
    return new Map()
  }
  const read = entries.map((entry) => {
    const match = entry.isDirectory ? null : fixtureName.exec(entry.name)
    if (match === null) return undefined
    const relative = `${fixturesFolder}/${entry.name}`
    const version = parseVersion(match[1] ?? "")
    if (typeof version === "string") {
      problem(relative, version)
      return undefined
    }
    const file = readMigrationFile(join(folder, entry.name), entry.name, entry.special)
    if (typeof file === "string") {
      problem(relative, file)
      return undefined
    }
    return { version, file }
  })
  const fixtures = new Map<number, MigrationFile[]>()
  for (const fixture of read) {
    if (fixture === undefined) continue
    fixtures.set(fixture.version, [...(fixtures.get(fixture.version) ?? []), fixture.file])
  }
  return fixtures
}

/**
 * Reads a golang-migrate/Coder migration directory: `NNNNNN_title.up.sql` and
 * `.down.sql` pairs directly in it or in archive folders (`000001-000100`), and
 * fixtures in `testdata/fixtures`. Every problem in the directory is reported at once.
 */
export const loadMigrations = Effect.fn("MigrationSource.load")(function* (dir: string) {
  const absolute = resolve(dir)
  const { migrations, fixtures, problems } = yield* Effect.promise(() => scanDirectory(absolute))
  if (problems.length > 0) {
    const sorted = [...problems].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    const unreadable = sorted.length === 1 && sorted[0]?.file === "."
    return yield* Effect.fail(
      new MigrationDirectoryError({
        dir: absolute,
        problems: sorted,
        message: [
          `${sorted.length} ${sorted.length === 1 ? "problem" : "problems"} in migration directory ${printable(absolute)}:`,
          // One line per problem, whatever the names hold.
          ...sorted.map(({ file, problem }) => `  ${printable(`${file}: ${problem}`)}`),
        ].join("\n"),
        unreadable,
      }),
    )
  }
  const set: MigrationSet = { dir: absolute, migrations, fixtures }
  return set
})

/**
 * One migration file read as a directory's are (another form of a migration, to put in a
 * set in place of its own); a file that cannot be used fails as a one-problem directory.
 */
export const loadMigrationFile = Effect.fn("MigrationSource.loadFile")(function* (path: string) {
  const absolute = resolve(path)
  const name = basename(absolute)
  const file = readMigrationFile(absolute, name, undefined)
  if (typeof file !== "string") return file
  return yield* new MigrationDirectoryError({
    dir: dirname(absolute),
    problems: [{ file: name, problem: file }],
    message: `${printable(absolute)}: ${printable(file)}`,
    unreadable: false,
  })
})
