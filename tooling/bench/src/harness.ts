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
  readonly a: SideResult
  readonly b: SideResult
  /** median(a) / median(b). */
  readonly ratio: number
}

export interface SideResult {
  readonly name: string
  readonly median: number
  readonly samples: ReadonlyArray<number>
}

/**
 * Runs every side once per round, in forward then reverse order on alternate rounds
 * (a, b, c, c, b, a, ...), so that drift on a shared, noisy machine hits all alike;
 * `warmup` rounds are discarded.
 */
export const compareSides = async (
  sides: ReadonlyArray<Side>,
  options: { readonly rounds: number; readonly warmup?: number },
): Promise<ReadonlyArray<SideResult>> => {
  const warmup = options.warmup ?? 1
  const samples = sides.map((): Array<number> => [])
  for (let round = 0; round < options.rounds + warmup; round++) {
    const order = sides.map((_, i) => i)
    if (round % 2 === 1) order.reverse()
    for (const i of order) {
      const seconds = await sides[i]!.run()
      if (round >= warmup) samples[i]!.push(seconds)
    }
  }
  return sides.map((side, i) => ({
    name: side.name,
    median: median(samples[i]!),
    samples: samples[i]!,
  }))
}

/** Two sides compared as `compareSides` does, with their ratio. */
export const comparePair = async (
  a: Side,
  b: Side,
  options: { readonly rounds: number; readonly warmup?: number },
): Promise<PairResult> => {
  const [ra, rb] = await compareSides([a, b], options)
  return { a: ra!, b: rb!, ratio: ra!.median / rb!.median }
}

/** Wall time of one process run to completion. */
export const timeProcess =
  (file: string, args: ReadonlyArray<string>, env?: NodeJS.ProcessEnv, cwd?: string) => () => {
    const started = performance.now()
    execFileSync(file, args, { stdio: "ignore", env: { ...process.env, ...env }, cwd })
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
