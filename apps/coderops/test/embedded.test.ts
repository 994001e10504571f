import { spawn } from "node:child_process"
import { createServer, type Server } from "node:net"
import { afterAll, describe, expect, it } from "vitest"
import { bin, coderops, embeddedFolder } from "./cli.js"

const folder = await embeddedFolder("coderops-cli-embedded-watch-")
const { env } = folder
const cleanups: Array<() => unknown> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  await folder.remove()
})

const embeddedPort = async () => {
  const status = await coderops(["db", "embedded", "status", "--json"], env)
  return (JSON.parse(status.stdout) as { port: number }).port
}

describe("a long-running command on the embedded default", () => {
  it("prebuilds reconcile --watch finds the server again after it restarts on another port", async () => {
    expect((await coderops(["migrate", "up"], env)).code).toBe(0)
    const { DATABASE_URL: _a, CODER_PG_CONNECTION_URL: _b, ...rest } = process.env
    const watcher = spawn(
      process.execPath,
      [bin, "prebuilds", "reconcile", "--watch", "--interval", "1s"],
      { env: { ...rest, ...env, NODE_ENV: "production" } },
    )
    cleanups.push(() => watcher.kill("SIGKILL"))
    let stderr = ""
    watcher.stderr.on("data", (chunk) => {
      stderr += chunk
    })
    const waitFor = (pattern: RegExp, from: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`never saw ${pattern}: ${stderr}`)), 30_000)
        const check = () => {
          if (pattern.test(stderr.slice(from))) {
            clearTimeout(timer)
            watcher.stderr.off("data", check)
            resolve()
          }
        }
        watcher.stderr.on("data", check)
        check()
      })
    await waitFor(/created 0 membership/, 0)
    const before = await embeddedPort()

    expect((await coderops(["db", "embedded", "stop"], env)).code).toBe(0)
    // Something else takes the port meanwhile, so the server comes back on another one.
    const blocker: Server = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => blocker.listen(before, "127.0.0.1", resolve))
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)))
    const failedFrom = stderr.length
    await waitFor(/pass failed/, failedFrom)

    expect((await coderops(["db", "info"], env)).code).toBe(0)
    expect(await embeddedPort()).not.toBe(before)
    await waitFor(/the database is back/, failedFrom)
  })
})
