import { chmod, lstat, mkdir, rename, rmdir, stat } from "node:fs/promises"
import { userInfo } from "node:os"
import { dirname } from "node:path"
import { DirectoryNotEnterable, UnsafeDirectory } from "../PgServerError.js"
import type { ServerAccount } from "../PostgresCluster.js"

/**
 * The first directory on the way to `dir` (itself or a parent) the account cannot pass
 * through; undefined when it can reach it. `mkdtemp` and home directories are often 0700.
 */
export const blockingDirectory = async (
  dir: string,
  account: ServerAccount,
): Promise<{ readonly directory: string; readonly mode: number } | undefined> => {
  for (;;) {
    const info = await stat(dir)
    // As the kernel decides: the owner's bits for the owner, else the group's, else others'.
    const bits =
      info.uid === account.uid
        ? info.mode >> 6
        : info.gid === account.gid
          ? info.mode >> 3
          : info.mode
    if ((bits & 0o001) === 0) return { directory: dir, mode: info.mode & 0o7777 }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** The server account must be able to walk through `dir` and every parent of it: checked, never changed. */
export const assertEnterable = async (
  dir: string,
  account: ServerAccount | undefined,
  what: string,
  path: string,
) => {
  if (account === undefined) return
  const blocking = await blockingDirectory(dir, account)
  if (blocking !== undefined) {
    throw new DirectoryNotEnterable({ what, path, ...blocking, account: account.name })
  }
}

export const writableByOthers = (mode: number) => (mode & 0o022) !== 0

/** Owned by this user or by root: nobody else can change its mode or entries at will. */
export const trustedOwner = (uid: number) => uid === userInfo().uid || uid === 0

/**
 * A folder nobody else may write into or swap: a directory (not a link, unless `followLink`:
 * a root a user names as a link is their choice), of this user or root, not writable by others.
 */
export const assertOwnDirectory = async (
  dir: string,
  what: string,
  followLink: boolean,
  sticky = false,
) => {
  const info = followLink ? await stat(dir) : await lstat(dir)
  if (info.isDirectory() && trustedOwner(info.uid) && !writableByOthers(info.mode)) return
  throw new UnsafeDirectory({
    what,
    directory: dir,
    mode: info.mode & 0o7777,
    reason: !info.isDirectory()
      ? "it is not a folder"
      : !trustedOwner(info.uid)
        ? `it belongs to another user (uid ${info.uid})`
        : `others can write into it${sticky ? " and it has no sticky bit" : ""}`,
  })
}

/**
 * Nobody but this user or root can swap `dir` or any folder above it: each is theirs, and
 * writable by others only with the sticky bit (like /tmp). For what root runs from there.
 */
export const assertSafePath = async (dir: string, what: string) => {
  for (let at = dir; ; at = dirname(at)) {
    const info = await stat(at)
    const sticky = (info.mode & 0o1000) !== 0
    if (!trustedOwner(info.uid) || (writableByOthers(info.mode) && !sticky)) {
      throw new UnsafeDirectory({
        what,
        directory: at,
        mode: info.mode & 0o7777,
        reason: trustedOwner(info.uid)
          ? "others can write into it and it has no sticky bit"
          : `it belongs to another user (uid ${info.uid})`,
      })
    }
    if (dirname(at) === at) return
  }
}

/**
 * Creates `dir` with exactly `mode`, or returns false when it exists. The folder appears
 * with its final mode (made aside, then renamed into place): a concurrent command must not
 * see it half made (mkdir's mode passes through the umask, so a chmod would come after).
 */
export const makeDir = async (dir: string, mode: number): Promise<boolean> => {
  const aside = `${dir}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await mkdir(aside, { mode: 0o700 })
  try {
    await chmod(aside, mode)
    if (
      await stat(dir).then(
        () => true,
        () => false,
      )
    )
      return false
    // Replaces only a folder that is still empty: another command's, made the same way.
    await rename(aside, dir)
    return true
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR") return false
    throw cause
  } finally {
    await rmdir(aside).catch(() => {})
  }
}

/** Makes `dir` and its missing parents, each with `mode` (see `makeDir`). */
export const makeDirs = async (dir: string, mode: number) => {
  const missing: Array<string> = []
  for (let at = dir; ; at = dirname(at)) {
    const exists = await stat(at).then(
      () => true,
      () => false,
    )
    if (exists || dirname(at) === at) break
    missing.unshift(at)
  }
  for (const at of missing) await makeDir(at, mode)
}
