import { describe, expect, it } from "vitest"
import {
  factsOf,
  type Layer,
  layers,
  packageOf,
  readFacts,
  sourceFiles,
  type WorkspacePackage,
  workspacePackages,
} from "./workspace.js"

// ARCHITECTURE.md's rules, checked on the whole workspace: package.json dependencies and
// the import statements of every src file follow the layers, and no library says anything
// only the CLI may say (exit codes, flag names).

/**
 * Strings in library sources that look like flags and are not coderops' own: the
 * arguments pg-server passes to the PostgreSQL programs and to useradd.
 */
const foreignFlags: ReadonlyArray<{ readonly file: string; readonly flag: string }> = [
  "--version",
  "--system",
  "--user-group",
  "--no-create-home",
  "--pgdata",
  "--username",
  "--pwfile",
  "--auth",
  "--encoding",
  "--no-locale",
  "--no-sync",
].map((flag) => ({ file: "packages/pg-server/src/PostgresCluster.ts", flag }))

/** A word that starts with two dashes, as a flag does; `-- ` (an SQL comment) is not one. */
const flagPattern = /--[a-z][a-z-]+/g

const rank = (layer: Layer) => layers.indexOf(layer as (typeof layers)[number])

/** Whether a package of layer `from` may depend on one of layer `to`. */
const mayDepend = (from: Layer, to: Layer): boolean => {
  if (from === "tooling") return true
  if (to === "tooling") return false
  return rank(to) < rank(from) || (from === "library" && to === "library")
}

const mayUseOclif = (layer: Layer) => layer === "cli-kit" || layer === "plugin" || layer === "app"

/** Libraries: every package below cli-kit. */
const isLibrary = (pkg: WorkspacePackage) =>
  pkg.layer === "library" || pkg.layer === "db-core" || pkg.layer === "pg-server"

const packages = await workspacePackages()
const byName = new Map(packages.map((pkg) => [pkg.name, pkg]))
const product = packages.filter((pkg) => pkg.layer !== "tooling")

/** One line per broken rule: `who → what (why)`. */
const dependencyProblems = (pkg: WorkspacePackage, target: string, where: string) => {
  const problems: Array<string> = []
  const dependency = byName.get(target)
  if (dependency !== undefined && !mayDepend(pkg.layer, dependency.layer)) {
    problems.push(`${where}: ${pkg.name} (${pkg.layer}) → ${target} (${dependency.layer})`)
  }
  if (target.startsWith("@oclif/") && !mayUseOclif(pkg.layer)) {
    problems.push(`${where}: ${pkg.name} (${pkg.layer}) → ${target} (only the CLI uses oclif)`)
  }
  return problems
}

describe("the dependency rule", () => {
  it("knows every layer of the workspace", () => {
    const seen = new Set(packages.map((pkg) => pkg.layer))
    expect([...seen].sort()).toEqual([...layers, "tooling"].sort())
    expect(packages.filter((pkg) => pkg.layer === "library").length).toBeGreaterThanOrEqual(5)
  })

  it("package.json dependencies point down the layers; tooling only as devDependencies", () => {
    const problems = product.flatMap((pkg) =>
      pkg.dependencies.flatMap((target) =>
        dependencyProblems(pkg, target, `${pkg.dir}/package.json`),
      ),
    )
    expect(problems).toEqual([])
  })

  it("src imports point down the layers and are declared dependencies", async () => {
    const problems: Array<string> = []
    let scanned = 0
    for (const pkg of product) {
      for (const file of await sourceFiles(pkg.dir)) {
        scanned++
        for (const specifier of (await readFacts(file)).imports) {
          const target = packageOf(specifier)
          if (target === undefined || target === pkg.name) continue
          problems.push(...dependencyProblems(pkg, target, file))
          if (byName.has(target) && !pkg.dependencies.includes(target)) {
            problems.push(`${file}: imports ${target}, not in ${pkg.dir}/package.json dependencies`)
          }
        }
      }
    }
    expect(scanned).toBeGreaterThan(50)
    expect(problems).toEqual([])
  })
})

describe("libraries speak in data", () => {
  const librarySources = async () => {
    const files: Array<string> = []
    for (const pkg of packages.filter(isLibrary)) files.push(...(await sourceFiles(pkg.dir)))
    return files
  }

  it("no library source carries an exit code or ends the process", async () => {
    const problems: Array<string> = []
    for (const file of await librarySources()) {
      const { names } = await readFacts(file)
      for (const name of names) {
        if (/^exit_?code$/i.test(name) || /^process\.exit/.test(name)) {
          problems.push(`${file}: ${name}`)
        }
      }
    }
    expect(problems).toEqual([])
  })

  it("no library source names a CLI flag (in a string; comments may)", async () => {
    const problems: Array<string> = []
    for (const file of await librarySources()) {
      for (const text of (await readFacts(file)).strings) {
        for (const [flag] of text.matchAll(flagPattern)) {
          if (!foreignFlags.some((allowed) => allowed.file === file && allowed.flag === flag)) {
            problems.push(`${file}: ${flag} in "${text.slice(0, 80)}"`)
          }
        }
      }
    }
    expect(problems).toEqual([])
  })

  it("no library source names a coderops command (what to run next is the CLI's to say)", async () => {
    // The topics are the plugins' (plugin-db: `coderops db ...`), and doctor is the app's.
    const topics = packages
      .filter((pkg) => pkg.layer === "plugin")
      .map((pkg) => pkg.dir.replace("packages/plugin-", ""))
    const command = new RegExp(`\\bcoderops (?:${[...topics, "doctor"].join("|")})\\b`, "g")
    expect(topics).toContain("migrate")
    const problems: Array<string> = []
    for (const file of await librarySources()) {
      for (const text of (await readFacts(file)).strings) {
        for (const [named] of text.matchAll(command)) problems.push(`${file}: ${named}`)
      }
    }
    expect(problems).toEqual([])
  })

  it("the allow-lists name files that exist", async () => {
    const all = new Set<string>()
    for (const pkg of packages) for (const file of await sourceFiles(pkg.dir)) all.add(file)
    for (const { file } of foreignFlags) expect(all.has(file), file).toBe(true)
  })
})

describe("the scanner", () => {
  it("reads imports, strings and names from the syntax tree, not from comments", () => {
    const facts = factsOf(
      "sample.ts",
      `// pass --database-url here: a comment, not a string
       /* import "commented-out" */
       import { a } from "@coderops/db-core"
       export * from "./local.js"
       type Q = typeof import("libpg-query")
       const lazy = () => import("@oclif/core")
       const sql = "SELECT 1 -- a comment in SQL"
       const hint = \`choose another with --metrics-addr \${port}\`
       process.exitCode = 1
       const e = { exitCode: 3 }`,
    )
    expect(facts.imports).toEqual(["@coderops/db-core", "./local.js", "libpg-query", "@oclif/core"])
    const flags = facts.strings.flatMap((text) => [...text.matchAll(flagPattern)].map((m) => m[0]))
    expect(flags).toEqual(["--metrics-addr"])
    expect(facts.names).toContain("exitCode")
    expect(facts.names).toContain("process.exitCode")
  })

  it("layers: libraries build on each other and db-core, never on the CLI or tooling", () => {
    expect(mayDepend("library", "library")).toBe(true)
    expect(mayDepend("library", "db-core")).toBe(true)
    expect(mayDepend("db-core", "pg-server")).toBe(true)
    expect(mayDepend("db-core", "library")).toBe(false)
    expect(mayDepend("library", "cli-kit")).toBe(false)
    expect(mayDepend("plugin", "plugin")).toBe(false)
    expect(mayDepend("app", "plugin")).toBe(true)
    expect(mayDepend("library", "tooling")).toBe(false)
    expect(mayDepend("tooling", "library")).toBe(true)
  })
})
