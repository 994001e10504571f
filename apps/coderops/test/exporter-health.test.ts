import { readFile } from "node:fs/promises"
import { parseExposition, sampleValue } from "@coderops/test-prometheus"
import { afterAll, describe, expect, it } from "vitest"
import { coderops, descendantsOf, embeddedFolder, launch, portOpen, processAlive } from "./cli.js"

// A throwaway embedded server of this file's own, to stop under a running exporter.
const folder = await embeddedFolder("coderops-cli-exporter-health-")
const { env } = folder
const _dataDir = env.CODEROPS_DATA_DIR
afterAll(folder.remove)

const embeddedStatus = async () =>
  JSON.parse((await coderops(["db", "embedded", "status", "--json"], env)).stdout) as {
    readonly running: boolean
    readonly pid: number
  }

const parentOf = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8")
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
}

/** `metrics serve --json` on the embedded default, refreshing on every request. */
const serve = async () => {
  const running = launch(
    ["metrics", "serve", "--metrics-addr", "127.0.0.1:0", "--min-refresh", "0s", "--json"],
    env,
  )
  await running.waitFor(() => running.events().length > 0, "started")
  const base = `http://${running.events()[0]!.listen as string}`
  const probe = async () => {
    const ready = await fetch(`${base}/readyz`)
    const text = await ready.text()
    const families = parseExposition(await (await fetch(`${base}/metrics`)).text())
    return {
      readyz: ready.status,
      text,
      healthz: (await fetch(`${base}/healthz`)).status,
      databaseUp: sampleValue(families, "coderops_exporter_database_up"),
    }
  }
  return { running, base, probe }
}

describe("metrics serve on the embedded server", () => {
  it("leaves the embedded server it started running after SIGTERM, and nothing else", async () => {
    const { running, base, probe } = await serve()
    expect(await probe()).toMatchObject({ readyz: 200, healthz: 200, databaseUp: 1 })
    const postmaster = (await embeddedStatus()).pid
    // pg_ctl daemonises the server: it is not the CLI's child, so it is not the CLI's to stop.
    expect(await parentOf(postmaster)).not.toBe(running.pid)
    const children = await descendantsOf(running.pid)
    expect(children).not.toContain(postmaster)
    const stopped = await running.stop("SIGTERM")
    expect(stopped).toMatchObject({ code: 0, signal: null })
    expect(stopped.ms).toBeLessThan(2000)
    const port = Number(base.split(":").pop())
    expect(await portOpen("127.0.0.1", port)).toBe(false)
    expect(await descendantsOf(running.pid)).toEqual([])
    for (const pid of children) expect(await processAlive(pid)).toBe(false)
    // Documented: the embedded server keeps running between commands.
    expect(await processAlive(postmaster)).toBe(true)
    expect(await embeddedStatus()).toMatchObject({ running: true, pid: postmaster })
  })

  it("says when the database went away: coderops_exporter_database_up 0 and /readyz 503; back when it returns", async () => {
    const { running, probe } = await serve()
    try {
      expect(await probe()).toMatchObject({ readyz: 200, healthz: 200, databaseUp: 1 })

      expect((await coderops(["db", "embedded", "stop"], env)).code).toBe(0)
      const down = await probe()
      expect(down).toMatchObject({ readyz: 503, healthz: 200, databaseUp: 0 })
      expect(down.text).toMatch(/^not ready: the database could not be reached at \S+Z: .+\n$/)

      expect((await coderops(["db", "info"], env)).code).toBe(0)
      expect(await probe()).toMatchObject({ readyz: 200, healthz: 200, databaseUp: 1 })
    } finally {
      expect((await running.stop("SIGTERM")).code).toBe(0)
    }
  })
})
