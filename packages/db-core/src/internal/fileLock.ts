import { open, readFile, rm, stat } from "node:fs/promises"
import { setTimeout as sleep } from "node:timers/promises"
import { processAlive } from "@coderops/pg-server"
import * as Duration from "effect/Duration"

/** Longer than any owner needs between creating the file and writing its pid. */
const unwrittenGraceMs = 5_000

/**
 * Whether a lock file is left over: its owner died, or it never got a pid (the owner was
 * killed between creating and writing it) and is older than a moment.
 */
const isStale = async (path: string): Promise<{ stale: boolean; owner: string }> => {
  const [text, info] = await Promise.all([
    readFile(path, "utf8").catch(() => undefined),
    stat(path).catch(() => undefined),
  ])
  // Gone meanwhile: try again at once.
  if (text === undefined || info === undefined) return { stale: false, owner: "nobody" }
  const owner = Number(text)
  if (Number.isInteger(owner) && owner > 0) {
    return { stale: !processAlive(owner), owner: `pid ${owner}` }
  }
  return {
    stale: Date.now() - info.mtimeMs > unwrittenGraceMs,
    owner: "a process that did not write its pid",
  }
}

/**
 * A lock between processes on one machine: a file created exclusively, holding the
 * owner's pid. A file left by a process that died is taken over.
 */
export const withFileLock = async <A>(
  path: string,
  timeout: Duration.Input,
  body: () => Promise<A>,
): Promise<A> => {
  const timeoutMs = Duration.toMillis(timeout)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const handle = await open(path, "wx", 0o600)
      await handle.writeFile(String(process.pid))
      await handle.close()
      break
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "EEXIST") throw cause
      const { stale, owner } = await isStale(path)
      if (stale) {
        await rm(path, { force: true })
        continue
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${path} (held by ${owner})`)
      }
      await sleep(50 + Math.random() * 50)
    }
  }
  try {
    return await body()
  } finally {
    await rm(path, { force: true })
  }
}
