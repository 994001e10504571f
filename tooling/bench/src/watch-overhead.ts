// `coderops migrate up` of a 300-migration chain alone, and with `coderops migrate watch
// --interval 200ms` reading the same database the whole time: what watching costs the
// migration. The watch starts (and has read once) before the timed run and stops after it.
import { execFileSync, spawn } from "node:child_process"
import { readFile, rm } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { databaseFactory, writeChain } from "./chain.js"
import { compareSides, machine, seconds, withBenchServer } from "./harness.js"

const rounds = Number(process.env.BENCH_ROUNDS ?? 7)
const count = Number(process.env.BENCH_MIGRATIONS ?? 300)
const bin = fileURLToPath(import.meta.resolve("coderops/package.json")).replace(
  /package\.json$/,
  "bin/run.js",
)
const env = { ...process.env, NODE_ENV: "production" }

const { dir } = await writeChain(count)

/** CPU seconds (user + system) a process has used so far, from /proc. */
const cpuSeconds = async (pid: number) => {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ")
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Starts `migrate watch --json` on `target`; resolves once it has read once. */
const startWatch = async (target: string) => {
  const child = spawn(
    process.execPath,
    [
      bin,
      "migrate",
      "watch",
      "--json",
      "--interval",
      "200ms",
      "--dir",
      dir,
      "--database-url",
      target,
    ],
    { env, stdio: ["ignore", "pipe", "ignore"] },
  )
  let readings = 0
  let buffer = ""
  const firstReading = new Promise<void>((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`migrate watch exited with ${code}`)))
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split("\n")
      buffer = lines.pop()!
      readings += lines.filter((line) => line.includes('"event":"reading"')).length
      if (readings > 0) resolve()
    })
  })
  await firstReading
  return {
    readings: () => readings,
    cpu: () => cpuSeconds(child.pid!),
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners("exit")
        child.on("exit", () => resolve())
        child.kill("SIGTERM")
      }),
  }
}

try {
  await withBenchServer(async ({ url }) => {
    const freshDatabase = databaseFactory(url)
    // Not execFileSync: the watch's output must be read while the migration runs.
    const up = async (target: string) => {
      const started = performance.now()
      const child = spawn(
        process.execPath,
        [bin, "migrate", "up", "--dir", dir, "--database-url", target],
        { stdio: "ignore", env },
      )
      const code = await new Promise((resolve) => child.on("exit", resolve))
      if (code !== 0) throw new Error(`migrate up exited with ${code}`)
      return (performance.now() - started) / 1000
    }
    const watchCpuDuringUp: Array<number> = []
    const readingsDuringUp: Array<number> = []
    const results = await compareSides(
      [
        { name: "migrate up", run: async () => up(await freshDatabase()) },
        {
          name: "migrate up, migrate watch --interval 200ms running",
          run: async () => {
            const target = await freshDatabase()
            const watch = await startWatch(target)
            const before = watch.readings()
            const cpuBefore = await watch.cpu()
            const elapsed = await up(target)
            readingsDuringUp.push(watch.readings() - before)
            watchCpuDuringUp.push((await watch.cpu()) - cpuBefore)
            await watch.stop()
            return elapsed
          },
        },
      ],
      { rounds, warmup: 1 },
    )
    const [alone, watched] = results as [(typeof results)[0], (typeof results)[0]]
    console.log(
      `machine: ${machine()}; ${count} migrations; ${rounds} rounds, alternating, medians; psql ${execFileSync("psql", ["--version"]).toString().trim()}`,
    )
    console.log("| side | median | samples |\n|---|---|---|")
    for (const side of results) {
      console.log(
        `| ${side.name} | ${seconds(side.median)} | ${side.samples.map((s) => s.toFixed(2)).join(", ")} |`,
      )
    }
    console.log(
      `ratio watched / alone: ${(watched.median / alone.median).toFixed(3)}; readings the watch made during a run: ${readingsDuringUp.join(", ")}; CPU the watch used during a run: ${watchCpuDuringUp.map((s) => `${s.toFixed(2)} s`).join(", ")}`,
    )
  })
} finally {
  await rm(dir, { recursive: true, force: true })
}
