import { createHash } from "node:crypto"
import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import {
  assertEnterable,
  assertOwnDirectory,
  assertSafePath,
  blockingDirectory,
  makeDirs,
} from "./internal/directories.js"
import { ClusterError } from "./PgServerError.js"
import type { PostgresBinaries, ServerAccount } from "./PostgresCluster.js"

interface Entry {
  /** Relative to the installation (`bin/postgres`). */
  readonly path: string
  readonly kind: "dir" | "file" | "link"
  readonly mode: number
  /** Device and inode: files linked together are read, hashed and copied once. */
  readonly inode: string
  /** What changes when the file is rewritten or replaced: size, modification time, inode. */
  readonly stamp: string
  /**
   * Its change time, which also moves with any change of its mode or links, and cannot be
   * set back: a copy's, not a source's (a package store links its files anew at each install).
   */
  readonly changed: number
  readonly target?: string | undefined
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex")

/**
 * Every entry of the installation's parts (its programs' folder, usually `bin`, and `lib`
 * and `share` beside it), parents before their contents.
 */
const listTree = async (prefix: string, parts: ReadonlyArray<string>): Promise<Array<Entry>> => {
  const entries: Array<Entry> = []
  const visit = async (path: string): Promise<void> => {
    const info = await lstat(join(prefix, path)).catch(() => undefined)
    if (info === undefined) return
    const kind = info.isDirectory() ? "dir" : info.isSymbolicLink() ? "link" : "file"
    entries.push({
      path,
      kind,
      mode: info.mode & 0o7777,
      inode: `${info.dev}:${info.ino}`,
      stamp: `${info.size}:${info.mtimeMs}:${info.dev}:${info.ino}`,
      changed: info.ctimeMs,
      target: kind === "link" ? await readlink(join(prefix, path)) : undefined,
    })
    if (kind === "dir") {
      const names = await readdir(join(prefix, path))
      await Promise.all(names.map((name) => visit(join(path, name))))
    }
  }
  await Promise.all(parts.map(visit))
  // A folder's path is a prefix of its contents': sorted, it comes first.
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Runs `task` on every item, `width` at a time. */
const inBatches = async <A>(
  items: ReadonlyArray<A>,
  width: number,
  task: (a: A) => Promise<void>,
) => {
  for (let at = 0; at < items.length; at += width) {
    await Promise.all(items.slice(at, at + width).map(task))
  }
}

/** The mode an entry has in the copy: readable by all, writable by its owner only. */
const copyMode = (entry: Entry) =>
  entry.kind === "dir" || (entry.mode & 0o111) !== 0 ? 0o755 : 0o644

/** One line per entry: path, kind, mode and the SHA-256 of its content (or its link's target). */
const describe = async (
  prefix: string,
  entries: ReadonlyArray<Entry>,
  mode: (e: Entry) => number,
) => {
  const hashes = new Map<string, string>()
  const files = entries.filter((entry) => entry.kind === "file")
  // Files linked together are one content: read and hashed once.
  const unique = [...new Map(files.map((entry) => [entry.inode, entry])).values()]
  await inBatches(unique, 16, async (entry) => {
    hashes.set(entry.inode, sha256(await readFile(join(prefix, entry.path))))
  })
  return entries.map((entry) => {
    const content = entry.kind === "file" ? hashes.get(entry.inode) : (entry.target ?? "")
    // A link's own mode means nothing (and differs between systems).
    const bits = entry.kind === "link" ? "-" : mode(entry).toString(8)
    return `${entry.path}\t${entry.kind}\t${bits}\t${content}`
  })
}

/** What a copy records about itself: where it came from and what it must hold. */
interface Manifest {
  readonly source: string
  /** The source's stamps when it was copied: a changed source is copied again. */
  readonly sourceStamp: string
  /** `describe` of the copy as made. */
  readonly entries: ReadonlyArray<string>
}

const manifestName = "manifest.json"
const stampOf = (entries: ReadonlyArray<Entry>, withChange = false) =>
  sha256(
    entries
      .map((e) => `${e.path}\t${e.stamp}\t${e.mode}${withChange ? `\t${e.changed}` : ""}`)
      .join("\n"),
  )

/** Copies verified by hash in this process, by their stamps: unchanged since, not hashed again. */
const verified = new Set<string>()

/** The copy as it stands now, and what identifies that state (see `verified`). */
const inspectCopy = async (dest: string, parts: ReadonlyArray<string>, sourceStamp: string) => {
  const top = await lstat(dest)
  const entries = await listTree(dest, parts)
  return {
    top,
    entries,
    key: `${dest}\n${top.mode}:${top.uid}\n${stampOf(entries, true)}\n${sourceStamp}`,
  }
}

/** Whether the copy at `dest` holds exactly what its manifest says, made from this source. */
const copyMatches = async (
  dest: string,
  parts: ReadonlyArray<string>,
  source: string,
  sourceStamp: string,
) => {
  const manifest = await readFile(join(dest, manifestName), "utf8")
    .then((text) => JSON.parse(text) as Manifest)
    .catch(() => undefined)
  if (manifest?.source !== source || manifest.sourceStamp !== sourceStamp) return false
  const { top, entries, key } = await inspectCopy(dest, parts, sourceStamp)
  if (verified.has(key)) return true
  // Actual modes: a file opened to others, or changed in any byte, is not the copy that was made.
  const lines = await describe(dest, entries, (entry) => entry.mode)
  const matches =
    top.isDirectory() &&
    top.uid === process.getuid?.() &&
    (top.mode & 0o7777) === 0o755 &&
    JSON.stringify(lines) === JSON.stringify(manifest.entries)
  if (matches) verified.add(key)
  return matches
}

/** Copies the installation aside (files linked together stay linked), with its manifest. */
const makeCopy = async (source: string, entries: ReadonlyArray<Entry>, aside: string) => {
  await mkdir(aside, { mode: 0o700 })
  for (const entry of entries) {
    if (entry.kind === "dir") await mkdir(join(aside, entry.path), { mode: 0o755 })
  }
  const first = new Map<string, Entry>()
  for (const entry of entries) {
    if (entry.kind === "file" && !first.has(entry.inode)) first.set(entry.inode, entry)
  }
  await inBatches([...first.values()], 16, async (entry) => {
    await copyFile(join(source, entry.path), join(aside, entry.path))
    await chmod(join(aside, entry.path), copyMode(entry))
  })
  for (const entry of entries) {
    const to = join(aside, entry.path)
    if (entry.kind === "dir") await chmod(to, 0o755)
    else if (entry.kind === "link") await symlink(entry.target ?? "", to)
    else {
      const original = first.get(entry.inode)
      if (original !== undefined && original !== entry) await link(join(aside, original.path), to)
    }
  }
  const manifest: Manifest = {
    source,
    sourceStamp: stampOf(entries),
    entries: await describe(aside, entries, copyMode),
  }
  await writeFile(join(aside, manifestName), JSON.stringify(manifest, null, 1), { mode: 0o644 })
  await chmod(aside, 0o755)
}

/**
 * Puts a fresh copy at `dest`: made aside, then renamed into place, so that nobody ever
 * uses a copy half made; a copy that does not match is moved away first.
 */
const placeCopy = async (
  parts: ReadonlyArray<string>,
  source: string,
  entries: ReadonlyArray<Entry>,
  dest: string,
) => {
  const unique = `${process.pid}.${Math.random().toString(36).slice(2)}`
  const aside = `${dest}.${unique}.tmp`
  const old = `${dest}.${unique}.old`
  const sourceStamp = stampOf(entries)
  try {
    await makeCopy(source, entries, aside)
    // Another process may have placed a good one meanwhile.
    if (await copyMatches(dest, parts, source, sourceStamp).catch(() => false)) return
    await rename(dest, old).catch((cause: NodeJS.ErrnoException) => {
      if (cause.code !== "ENOENT") throw cause
    })
    const placed = await rename(aside, dest).then(
      () => true,
      async (cause: NodeJS.ErrnoException) => {
        if (cause.code !== "ENOTEMPTY" && cause.code !== "EEXIST") throw cause
        return false
      },
    )
    // Hashed as it was made; the rename changes none of its entries.
    if (placed) verified.add((await inspectCopy(dest, parts, sourceStamp)).key)
    else if (!(await copyMatches(dest, parts, source, sourceStamp))) {
      throw new ClusterError({ message: `${dest} was replaced while coderops placed it` })
    }
  } finally {
    await rm(aside, { recursive: true, force: true })
    await rm(old, { recursive: true, force: true })
  }
}

/** The programs running now, by the path they were started from (root reads them all). */
const runningPrograms = async (): Promise<ReadonlyArray<string>> => {
  const pids = (await readdir("/proc").catch(() => [])).filter((name) => /^\d+$/.test(name))
  const programs = await Promise.all(
    pids.map((pid) => readlink(`/proc/${pid}/exe`).catch(() => undefined)),
  )
  return programs.filter((program) => program !== undefined)
}

/**
 * Removes, when a new copy was made, the copies of installations that are gone: an upgrade
 * installs PostgreSQL at another path, whose hash names another copy. A copy whose
 * installation is still there stays (another clone uses it), and so does one a running
 * program was started from (a server of the old version, still up). Best effort: a copy
 * that cannot be removed now is tried again with the next new one.
 */
const removeStaleCopies = async (cache: string, kept: string) => {
  let running: ReadonlyArray<string> | undefined
  for (const name of await readdir(cache).catch(() => [])) {
    const copy = join(cache, name)
    if (!/^[0-9a-f]{16}$/.test(name) || copy === kept) continue
    const manifest = await readFile(join(copy, manifestName), "utf8")
      .then((text) => JSON.parse(text) as Partial<Manifest>)
      .catch(() => undefined)
    // Only a copy coderops made, by its manifest.
    if (typeof manifest?.source !== "string") continue
    if (
      await lstat(manifest.source).then(
        () => true,
        () => false,
      )
    )
      continue
    running ??= await runningPrograms()
    if (running.some((program) => program.startsWith(`${copy}/`))) continue
    await rm(copy, { recursive: true, force: true }).catch(() => {})
  }
}

/** The nearest folder of `dir` (itself or a parent) that exists. */
const nearestExisting = async (dir: string): Promise<string> =>
  (await stat(dir).then(
    () => true,
    () => false,
  )) || dirname(dir) === dir
    ? dir
    : nearestExisting(dirname(dir))

/**
 * Where copies go: `$XDG_CACHE_HOME/coderops/postgres-binaries` when the account can reach
 * it, else `/var/cache/coderops/postgres-binaries` (root's `~/.cache` is behind /root).
 */
export const binariesCacheDir = async (
  account: ServerAccount,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string> => {
  const xdg = env.XDG_CACHE_HOME
  if (xdg && (await blockingDirectory(await nearestExisting(xdg), account)) === undefined) {
    return join(xdg, "coderops", "postgres-binaries")
  }
  return "/var/cache/coderops/postgres-binaries"
}

/**
 * The binaries as the server account can run them: these, when it can reach them; else a
 * copy of their installation (bin, lib, share) in a cache folder it can reach, made once,
 * checked by SHA-256 against its manifest at each use and replaced when it does not match
 * (a clone in root's 0700 home keeps node_modules where the `postgres` account cannot go).
 * Making one removes the copies of installations that are gone (see `removeStaleCopies`).
 */
export const reachableBinaries = async (
  binaries: PostgresBinaries,
  account: ServerAccount | undefined,
  cacheDir?: string,
): Promise<PostgresBinaries> => {
  const bin = dirname(binaries.postgres)
  if (account === undefined || (await blockingDirectory(bin, account)) === undefined) {
    return binaries
  }
  const programs = await realpath(bin)
  const source = dirname(programs)
  const parts = [basename(programs), "lib", "share"]
  const cache = cacheDir ?? (await binariesCacheDir(account))
  // Folders made for the copies: 0755, so the account passes; nobody else may write in them.
  await makeDirs(cache, 0o755)
  await assertOwnDirectory(cache, "PostgreSQL binaries", true)
  await assertSafePath(cache, "PostgreSQL binaries")
  await assertEnterable(cache, account, "PostgreSQL binaries", join(cache, "bin"))
  const dest = join(cache, sha256(source).slice(0, 16))
  const entries = await listTree(source, parts)
  if (!(await copyMatches(dest, parts, source, stampOf(entries)).catch(() => false))) {
    await placeCopy(parts, source, entries, dest)
    await removeStaleCopies(cache, dest)
  }
  const inCopy = (program: string) => join(dest, basename(programs), basename(program))
  return {
    initdb: inCopy(binaries.initdb),
    pg_ctl: inCopy(binaries.pg_ctl),
    postgres: inCopy(binaries.postgres),
  }
}
