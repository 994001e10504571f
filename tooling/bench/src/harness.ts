import { execFileSync } from "node:child_process"
import { chmod, mkdtemp, rm } from "node:fs/promises"
import { cpus, release, tmpdir } from "node:os"
import { join } from "node:path"
import {
  type DatabaseSettings,
  ensureEmbeddedServer,
  redactedUrlOf,
  stopEmbeddedServer,
} from "@coderops/db-core"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export interface Side {
  readonly name: string
  /** One timed run; returns seconds. */
  readonly run: () => Promise<number> | number
}

export interface PairResult {
  readonly a: {
    readonly name: string
    readonly median: number
    readonly samples: ReadonlyArray<number>
  }
  readonly b: {
    readonly name: string
    readonly median: number
    readonly samples: ReadonlyArray<number>
  }
  /** median(a) / median(b). */
  readonly ratio: number
}

/**
 * Runs two sides alternately (a, b, b, a, ...) so that drift on a shared, noisy machine
 * hits both alike; `warmup` rounds are discarded.
 */
export const comparePair = async (
  a: Side,
  b: Side,
  options: { readonly rounds: number; readonly warmup?: number },
): Promise<PairResult> => {
  const samples: { a: Array<number>; b: Array<number> } = { a: [], b: [] }
  const total = options.rounds + (options.warmup ?? 1)
  for (let round = 0; round < total; round++) {
    const order = round % 2 === 0 ? (["a", "b"] as const) : (["b", "a"] as const)
    for (const side of order) {
      const seconds = await (side === "a" ? a : b).run()
      if (round >= (options.warmup ?? 1)) samples[side].push(seconds)
    }
  }
  const ma = median(samples.a)
  const mb = median(samples.b)
  return {
    a: { name: a.name, median: ma, samples: samples.a },
    b: { name: b.name, median: mb, samples: samples.b },
    ratio: ma / mb,
  }
}

/** Wall time of one process run to completion. */
export const timeProcess =
  (file: string, args: ReadonlyArray<string>, env?: NodeJS.ProcessEnv) => () => {
    const started = performance.now()
    execFileSync(file, args, { stdio: "ignore", env: { ...process.env, ...env } })
    return (performance.now() - started) / 1000
  }

export const machine = () =>
  `${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, Linux ${release()}, Node ${process.versions.node}`

export const seconds = (s: number) => `${s.toFixed(3)} s`

/** A throwaway PostgreSQL server for one benchmark run, stopped and removed afterwards. */
export const withBenchServer = async <A>(
  body: (server: { readonly url: string; readonly settings: DatabaseSettings }) => Promise<A>,
): Promise<A> => {
  const parent = await mkdtemp(join(tmpdir(), "coderops-bench-"))
  await chmod(parent, 0o755)
  const root = join(parent, "pg")
  try {
    const server = await Effect.runPromise(ensureEmbeddedServer(root))
    const url = new URL(redactedUrlOf(server.settings))
    url.password = Redacted.value(server.settings.password!)
    return await body({ url: url.toString(), settings: server.settings })
  } finally {
    await Effect.runPromise(Effect.ignore(stopEmbeddedServer(root)))
    await rm(parent, { recursive: true, force: true })
  }
}
