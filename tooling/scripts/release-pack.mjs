// Packs every publishable workspace package (not "private") into release/*.tgz, as
// `npm publish` would ship it: `pnpm pack` applies each package's `files` and rewrites
// `workspace:*` dependencies to the versions changesets gave them. Run after `build`.
//
//   node tooling/scripts/release-pack.mjs [--out DIR]     (default: release/)
//
// Each package gets the repository's LICENSE, and those without a README of their own a
// short one (the CLI gets the repository's README): they are copied in for the pack only,
// then removed, so the source tree keeps one copy.
import { spawnSync } from "node:child_process"
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs"
import { join, resolve } from "node:path"

const root = join(import.meta.dirname, "..", "..")
const outIndex = process.argv.indexOf("--out")
const out = resolve(outIndex === -1 ? join(root, "release") : process.argv[outIndex + 1])

// Under `pnpm release:pack` pnpm names itself; run directly, fetch the pinned pnpm.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: pnpm sets it for its scripts; not a build input
const execPath = process.env.npm_execpath ?? ""
const pnpm = /pnpm\.c?js$/.test(execPath)
  ? [process.execPath, execPath]
  : [
      "npx",
      "-y",
      `pnpm@${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split("@")[1]}`,
    ]

const publishable = ["apps", "packages"].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => join(root, group, name))
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
    .filter(({ manifest }) => manifest.private !== true),
)

const readmeFor = (manifest) =>
  manifest.name === "coderops"
    ? readFileSync(join(root, "README.md"), "utf8")
    : `# ${manifest.name}\n\n${manifest.description}\n\nA part of coderops: see the \`coderops\` package's README (Libraries) for how it fits.\n`

for (const { dir, manifest } of publishable) {
  if (!existsSync(join(dir, "dist"))) {
    process.stderr.write(`${manifest.name}: dist/ is missing; run the build first\n`)
    process.exit(1)
  }
}
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const added = []
const addFile = (dir, name, write) => {
  if (existsSync(join(dir, name))) return
  write(join(dir, name))
  added.push(join(dir, name))
}
let status
try {
  for (const { dir, manifest } of publishable) {
    addFile(dir, "LICENSE", (path) => copyFileSync(join(root, "LICENSE"), path))
    addFile(dir, "README.md", (path) => writeFileSync(path, readmeFor(manifest)))
  }
  const filters = publishable.flatMap(({ manifest }) => ["--filter", manifest.name])
  status = spawnSync(
    pnpm[0],
    [...pnpm.slice(1), "--recursive", ...filters, "pack", "--pack-destination", out],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
  ).status
} finally {
  for (const path of added) rmSync(path, { force: true })
}
const packed = readdirSync(out).filter((name) => name.endsWith(".tgz"))
if (status !== 0 || packed.length !== publishable.length) {
  process.stderr.write(
    `pnpm pack failed (exit ${status}; ${packed.length} of ${publishable.length} packed)\n`,
  )
  process.exit(1)
}
// The install manifest: `npm install` in a copy of this folder installs the CLI with every
// @coderops package from these tarballs. The overrides make a library's own dependency on
// another (`"@coderops/db-core": "0.1.0"`) resolve to its tarball too; without them npm
// looks those up in the registry, where they are not published.
const tarballOf = new Map(
  publishable.map(({ manifest }) => [
    manifest.name,
    `file:./${packed.find((name) => name === `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version}.tgz`)}`,
  ]),
)
writeFileSync(
  join(out, "package.json"),
  `${JSON.stringify(
    {
      name: "coderops-release",
      private: true,
      description:
        "Install: copy this folder where coderops should live, then run `npm install` in it.",
      dependencies: Object.fromEntries(tarballOf),
      overrides: Object.fromEntries([...tarballOf].filter(([name]) => name !== "coderops")),
    },
    null,
    2,
  )}\n`,
)
process.stdout.write(`${packed.length} packages packed into ${out}, with its package.json\n`)
