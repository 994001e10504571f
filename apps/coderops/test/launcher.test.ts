import { chmod, mkdtemp, rm, symlink, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath, pathToFileURL } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { bin, runFile, userShellEnv } from "./cli.js"

// `./coderops` at the repository's root: README's way to run from a clone.
const launcher = fileURLToPath(new URL("../../../coderops", import.meta.url))
const node24 = fileURLToPath(new URL("../../../node_modules/node/bin/node", import.meta.url))

const parent = await mkdtemp(join(tmpdir(), "coderops-launcher-"))
await chmod(parent, 0o755)
afterAll(() => rm(parent, { recursive: true, force: true }))

const userEnv = (extra: Record<string, string> = {}) =>
  userShellEnv({ CODEROPS_DATA_DIR: join(parent, "pg"), ...extra })
const run = (file: string, args: ReadonlyArray<string>, env = userEnv()) => runFile(file, args, env)

const median = (values: ReadonlyArray<number>) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

describe("./coderops, the launcher for a clone", () => {
  it("prints only the command's output on stdout: --json parses with nothing before it", async () => {
    const result = await run(launcher, ["db", "embedded", "status", "--json"])
    expect(result.code).toBe(0)
    expect(result.stdout.startsWith("{")).toBe(true)
    expect(JSON.parse(result.stdout)).toMatchObject({ running: false })
  })

  it("passes a failing command's exit code through unchanged: a bad flag exits 2", async () => {
    const result = await run(launcher, ["db", "info", "--no-such-flag"])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("--no-such-flag")
  })

  it("execs node: the process started is the node process, so signals reach it", async () => {
    // The CLI's node reports its own pid before anything else runs.
    const reportPid = join(parent, "report-pid.mjs")
    await writeFile(reportPid, 'process.stderr.write("pid=" + process.pid + "\\n")\n')
    const env = userEnv({ NODE_OPTIONS: `--import=${pathToFileURL(reportPid).href}` })
    const result = await run(launcher, ["--version"], env)
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(`pid=${result.pid}\n`)
    expect(result.stdout).toMatch(/^coderops\/\d+\.\d+\.\d+ .* node-v24\./)
  })

  it("works through a symlink on PATH", async () => {
    const link = join(parent, "coderops")
    await symlink(launcher, link)
    const result = await run(link, ["--version"])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^coderops\/\d+\.\d+\.\d+ /)
  })

  it("adds next to nothing to node's own start: --help, alternating with node run.js", async () => {
    const time = async (file: string, args: ReadonlyArray<string>) => {
      const start = performance.now()
      const result = await run(file, args)
      expect(result.code).toBe(0)
      return (performance.now() - start) / 1000
    }
    const viaLauncher: number[] = []
    const direct: number[] = []
    await time(launcher, ["--help"]) // warm the compile cache
    for (let round = 0; round < 7; round++) {
      const pair = [
        async () => viaLauncher.push(await time(launcher, ["--help"])),
        async () => direct.push(await time(node24, [bin, "--help"])),
      ]
      for (const side of round % 2 === 0 ? pair : pair.reverse()) await side()
    }
    const [launched, bare] = [median(viaLauncher), median(direct)]
    console.log(
      `--help medians: launcher ${launched.toFixed(3)} s, node run.js ${bare.toFixed(3)} s`,
    )
    // The launcher's own cost (sh, readlink) is a few ms. On a loaded machine the medians
    // are noise; the fastest runs of each show what the launcher adds. The 0.5 s target
    // itself is BENCHMARKS.md's, measured on a quiet machine.
    expect(Math.min(...viaLauncher) - Math.min(...direct)).toBeLessThan(0.1)
    expect(launched).toBeLessThan(1)
  })
})
