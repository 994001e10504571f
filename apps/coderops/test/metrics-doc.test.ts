import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { useTestDatabase } from "@coderops/test-postgres"
import { type Family, parseExposition } from "@coderops/test-prometheus"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { coderops, launch } from "./cli.js"

const database = useTestDatabase()
const dir = await mkdtemp(join(tmpdir(), "coderops-metrics-doc-"))
afterAll(() => rm(dir, { recursive: true, force: true }))
const docPath = fileURLToPath(new URL("../../../docs/metrics.md", import.meta.url))

/** What each kind of process emits, by family name. */
type Emitted = Map<string, Family>
const sources = new Map<string, Emitted>()

const familiesOf = (text: string): Emitted =>
  new Map([...parseExposition(text).values()].map((family) => [family.name, family]))

/** Starts a long-running command, waits for its address and `ready`, and scrapes it once. */
const scrapeOf = async (args: ReadonlyArray<string>, ready: RegExp = /./) => {
  const running = launch([...args, "--metrics-addr", "127.0.0.1:0"], { DATABASE_URL: database.url })
  const address = /http:\/\/127\.0\.0\.1:(\d+)\/metrics/
  try {
    await running.waitFor(
      () => address.test(running.stderr()) && ready.test(running.stderr()),
      `${args.join(" ")} serving`,
    )
    const url = `http://127.0.0.1:${address.exec(running.stderr())![1]}/metrics`
    return familiesOf(await (await fetch(url)).text())
  } finally {
    await running.stop("SIGTERM")
  }
}

/** Runs a one-shot command with --metrics-file and reads the file. */
const textfileOf = async (args: ReadonlyArray<string>) => {
  const file = join(dir, `${args.join("-")}.prom`)
  const result = await coderops([...args, "--metrics-file", file, "--database-url", database.url])
  expect(result.code, result.stderr).toBe(0)
  return familiesOf(await readFile(file, "utf8"))
}

beforeAll(async () => {
  // A Coder deployment as coderops meets it: migrated, seeded, reconciled, purged.
  sources.set("migrate up", await textfileOf(["migrate", "up"]))
  const seed = await coderops([
    ...["db", "seed", "--orgs", "2", "--users", "10", "--api-keys", "200"],
    ...["--database-url", database.url],
  ])
  expect(seed.code, seed.stderr).toBe(0)
  sources.set("prebuilds reconcile", await textfileOf(["prebuilds", "reconcile"]))
  sources.set("db purge api-keys", await textfileOf(["db", "purge", "api-keys"]))
  sources.set("metrics serve", await scrapeOf(["metrics", "serve"]))
  sources.set(
    "prebuilds reconcile --watch",
    await scrapeOf(["prebuilds", "reconcile", "--watch", "--interval", "1s"], /created \d+ member/),
  )
  sources.set("migrate watch", await scrapeOf(["migrate", "watch"]))
}, 180_000)

/** The rows of the markdown table whose header row starts with `header`, as cells. */
const tableOf = (doc: string, header: string): Array<Array<string>> => {
  const lines = doc.split("\n")
  const start = lines.findIndex((line) => line.startsWith(header))
  expect(start, header).toBeGreaterThan(-1)
  const rows: Array<Array<string>> = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    )
  }
  return rows
}

/** The `code` spans of a cell, leaving out those in parentheses (label values). */
const codeSpans = (cell: string) =>
  [...cell.replace(/\([^)]*\)/g, "").matchAll(/`([^`]+)`/g)].map((match) => match[1]!)

/** `process_*` and `nodejs_*` are documented as prefixes: prom-client's own families. */
const documentedBy = (names: ReadonlyArray<string>, family: string) =>
  names.some((name) =>
    name.endsWith("*") ? family.startsWith(name.slice(0, -1)) : name === family,
  )

const labelsOf = (family: Family) =>
  [...new Set(family.samples.flatMap((sample) => Object.keys(sample.labels)))]
    .filter((label) => label !== "le")
    .sort()

describe("docs/metrics.md", () => {
  it("lists every family a real scrape or textfile emits, with its type and labels", async () => {
    const rows = tableOf(await readFile(docPath, "utf8"), "| metric | type | labels | meaning |")
    const documented = new Map(rows.flatMap((row) => codeSpans(row[0]!).map((name) => [name, row])))
    const emitted = new Map<string, Family>()
    for (const families of sources.values()) for (const [name, f] of families) emitted.set(name, f)
    expect(emitted.size).toBeGreaterThan(40)
    const problems: Array<string> = []
    for (const [name, family] of emitted) {
      if (!documentedBy([...documented.keys()], name)) {
        problems.push(`${name} (${family.type}) is not in the table`)
        continue
      }
      const row = documented.get(name)
      if (row === undefined) continue // a prom-client family, documented by its prefix
      if (row[1] !== family.type) problems.push(`${name} is a ${family.type}, not "${row[1]}"`)
      // A family with no series yet (a counter never incremented) shows no labels.
      if (family.samples.length > 0 && codeSpans(row[2]!).sort().join() !== labelsOf(family).join())
        problems.push(`${name} has labels [${labelsOf(family)}], not [${codeSpans(row[2]!)}]`)
    }
    for (const name of documented.keys())
      if (!name.endsWith("*") && !emitted.has(name)) problems.push(`${name} is emitted by nothing`)
    expect(problems).toEqual([])
  })

  it("says which process emits which family, as the real processes do", async () => {
    const rows = tableOf(await readFile(docPath, "utf8"), "| family | `metrics serve`")
    const columns = new Map([
      ["metrics serve", 1],
      ["prebuilds reconcile --watch", 2],
      ["migrate watch", 3],
    ])
    const problems: Array<string> = []
    for (const [source, column] of columns) {
      const emitted = sources.get(source)!
      const claimed = rows.filter((row) => row[column] !== "—").flatMap((row) => codeSpans(row[0]!))
      for (const name of emitted.keys())
        if (!documentedBy(claimed, name))
          problems.push(`${source} emits ${name}, the table says not`)
      for (const name of claimed)
        if (!name.endsWith("*") && !emitted.has(name))
          problems.push(`${source} does not emit ${name}, the table says it does`)
    }
    // The --metrics-file column names the command (or "every command") for what its file holds.
    for (const command of ["migrate up", "prebuilds reconcile", "db purge api-keys"]) {
      for (const name of sources.get(command)!.keys()) {
        const row = rows.find((cells) => documentedBy(codeSpans(cells[0]!), name))
        const cell = row?.[4] ?? ""
        if (!cell.includes(`\`${command}`) && !cell.includes("every command"))
          problems.push(`the --metrics-file of ${command} holds ${name}, the table says not`)
      }
    }
    expect(problems).toEqual([])
  })
})
