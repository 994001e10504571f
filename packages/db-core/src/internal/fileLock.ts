import { open, readFile, rm } from "node:fs/promises"
import { setTimeout as sleep } from "node:timers/promises"

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * A lock between processes on one machine: a file created exclusively, holding the
 * owner's pid. A file left by a process that died is taken over.
 */
export const withFileLock = async <A>(
  path: string,
  timeoutMs: number,
  body: () => Promise<A>,
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const handle = await open(path, "wx", 0o600)
      await handle.writeFile(String(process.pid))
      await handle.close()
      break
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "EEXIST") throw cause
      const owner = Number(await readFile(path, "utf8").catch(() => ""))
      // An empty file is one being written right now; only a dead pid is stale.
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
        await rm(path, { force: true })
        continue
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${path} (held by pid ${owner})`,
        )
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
