import { appendFile, readFile } from "node:fs/promises"
import { join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import { type CliResult, coderops, embeddedFolder } from "./cli.js"

// Walks docs/upgrading.md: every ```sh block whose first line is `# walk: exit N` is run,
// command by command and in the guide's order, through the built CLI against one
// database, and each command must exit N and print the facts the guide quotes.

const guidePath = join(import.meta.dirname, "../../../docs/upgrading.md")

interface Step {
  readonly line: string
  readonly exit: number
}

/** The commands of the guide's walkable blocks, in order, with the exit code each block states. */
const walkableSteps = (markdown: string): ReadonlyArray<Step> => {
  const steps: Array<Step> = []
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const [first = "", ...rest] = (block[1] ?? "").split("\n")
    const marker = /^# walk: exit (\d+)$/.exec(first)
    if (marker === null) continue
    for (const line of rest.map((l) => l.trim()))
      if (line !== "" && !line.startsWith("#")) steps.push({ line, exit: Number(marker[1]) })
  }
  return steps
}

/** `[VAR=value ...] coderops ARGS [> FILE]`, the only shape a walkable line may take. */
const parse = (line: string) => {
  const words = line.split(/\s+/)
  const env: Record<string, string> = {}
  while (/^[A-Z_]+=/.test(words[0] ?? "")) {
    const [name = "", value = ""] = (words.shift() ?? "").split("=")
    env[name] = value
  }
  expect(words.shift(), `a walkable line runs coderops: ${line}`).toBe("coderops")
  const redirect = words.indexOf(">")
  const args = redirect === -1 ? words : words.slice(0, redirect)
  expect(args.join(" "), `no quoting in a walkable line: ${line}`).not.toMatch(/['"`$]/)
  return { env, args }
}

/**
 * The practice database of the guide's first step, `coderops demo --size small --keep`, on
 * an embedded server in a folder of this test's; the walk reaches it as the guide says,
 * through CODEROPS_EMBEDDED_DATABASE.
 */
const prepareDemoDatabase = async () => {
  const folder = await embeddedFolder("coderops-cli-guide-")
  const server = folder.env
  onTestFinished(folder.remove)
  const demo = await coderops(["demo", "--size", "small", "--keep"], server)
  expect(demo.code, demo.stderr).toBe(0)
  expect(demo.stdout).toMatch(
    /export CODEROPS_DATA_DIR=\S+ CODEROPS_EMBEDDED_DATABASE=coderops_demo/,
  )
  return { ...server, CODEROPS_EMBEDDED_DATABASE: "coderops_demo" }
}

// What the guide quotes of each walked command's output (stdout and stderr), in order.
const facts: ReadonlyArray<readonly [string, ...Array<RegExp>]> = [
  ["migrate down --all", /371 → no version/],
  ["migrate goto 370", /no version → 370/],
  [
    "db seed --orgs 20 --users 200 --templates-per-org 5 --presets-per-version 5 --api-keys 50000 --expired-fraction 0.9",
    /50,000 API keys \(45,000 expired more than 7 days ago\)/,
    /before 000371/,
  ],
  ["db info", /Migration\s+370 \(clean\)/, /Coder\s+yes/],
  ["doctor", /✓ session visibility/, /✓ create database/],
  ["migrate status", /Version\s+370/, /000371_api_key_scopes_array_allow_list\.up\.sql\s+pending/],
  [
    "migrate lint",
    /unbatched-dml\s+UPDATE of every row of api_keys \(50,000 rows/,
    /would remove 45,000 rows/,
  ],
  [
    "upgrade plan --rehearse --format markdown",
    /# Coder database upgrade: 370 → 371/,
    /\| 000371 \| api_keys \|/,
    /run `coderops db purge api-keys` first: removes 45k of 50k rows/,
    /Scale coderd to one replica/,
  ],
  ["db purge api-keys --dry-run", /45,000 API keys expired before .* would be deleted/],
  ["db purge api-keys", /deleted 45,000 API keys/],
  ["migrate watch --once", /version\s+370, 1 pending migration/, /no migration running/],
  ["migrate up", /migrated 370 → 371: 1 migration/],
  ["migrate status", /Version\s+371/, /Pending\s+0/],
  ["migrate watch --once", /version\s+371, 0 pending migrations/],
  ["db info --tables 3", /Migration\s+371 \(clean\)/],
  ["migrate verify", /verified 2 migrations/, /equals the first up/],
]

describe("docs/upgrading.md", () => {
  it("walks exactly the commands whose facts it knows, in order", async () => {
    const steps = walkableSteps(await readFile(guidePath, "utf8"))
    // A command changed in the guide must be changed here too, with the facts it prints.
    expect(steps.map((step) => parse(step.line).args.join(" "))).toEqual(facts.map(([c]) => c))
  })

  it("can be followed step by step on the practice database", async () => {
    const env = await prepareDemoDatabase()
    const steps = walkableSteps(await readFile(guidePath, "utf8"))
    for (const [i, step] of steps.entries()) {
      const { env: extra, args } = parse(step.line)
      const started = performance.now()
      const result: CliResult = await coderops(args, { ...env, ...extra })
      const output = `${result.stdout}\n${result.stderr}`
      expect(result.code, `${step.line}\n${output}`).toBe(step.exit)
      for (const fact of facts[i]?.slice(1) ?? []) expect(output, step.line).toMatch(fact)
      // CODEROPS_GUIDE_OUTPUT=FILE keeps what each step printed, to refresh the guide's captures.
      const keep = process.env.CODEROPS_GUIDE_OUTPUT
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      if (keep)
        await appendFile(keep, `$ ${step.line}   # exit ${result.code}, ${seconds} s\n${output}\n`)
    }
  }, 300_000)
})
