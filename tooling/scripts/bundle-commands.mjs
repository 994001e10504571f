// Bundles an oclif plugin's commands into one ES module: run in the plugin's directory
// after `tsc -b`, it reads dist/commands.js (the plugin's "explicit" command target) and
// writes dist/bundle/commands.js, with lazily loaded parts as chunks beside it.
//
// Why: a command's start was ~390 modules, resolved and linked one by one (effect, pg,
// the coderops libraries); bundled it is a handful. The libraries stay unbundled packages
// for anyone who imports them.
//
// Left outside the bundle, and so resolved from the plugin at run time: oclif (one per
// process, shared with the CLI that loads the plugin) and packages that find files next
// to themselves (libpg-query's wasm, pg-server's platform package of PostgreSQL binaries).
// Each must be a dependency of the plugin, as must every coderops library it bundles
// (coder-schema finds its migration directory through its package name): this script
// fails the build, naming what to add, when one is not.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { builtinModules } from "node:module"
import { join, relative, sep } from "node:path"
import { pathToFileURL } from "node:url"
import { rolldown } from "rolldown"

const pluginDir = process.cwd()
const manifest = JSON.parse(readFileSync(join(pluginDir, "package.json"), "utf8"))
const input = join(pluginDir, "dist", "commands.js")
const outDir = join(pluginDir, "dist", "bundle")
if (!existsSync(input)) {
  process.stderr.write(`${manifest.name}: ${input} is missing; run tsc -b first\n`)
  process.exit(1)
}

// A command file missing from the map would be a command that silently does not exist.
const commandsDir = join(pluginDir, "dist", "commands")
const commandFiles = readdirSync(commandsDir, { recursive: true })
  .filter((file) => file.endsWith(".js"))
  .map((file) => file.slice(0, -".js".length).split(sep).join(":"))
const { COMMANDS } = await import(pathToFileURL(input).href)
const unlisted = commandFiles.filter((id) => !(id in COMMANDS))
if (unlisted.length > 0) {
  process.stderr.write(
    `${manifest.name}: ${unlisted.join(", ")} ${unlisted.length === 1 ? "is" : "are"} in src/commands but not in src/commands.ts' COMMANDS; add ${unlisted.length === 1 ? "it" : "them"} there\n`,
  )
  process.exit(1)
}

const external = ["@oclif/", "@coderops/pg-server", "libpg-query"]
/** Loaded only when asked for, and may be absent: pg's native bindings. */
const optional = new Set(["pg-native"])
const builtins = new Set(builtinModules)
const packageOf = (specifier) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/")
const isBuiltin = (specifier) => specifier.startsWith("node:") || builtins.has(packageOf(specifier))
const isExternal = (specifier) =>
  isBuiltin(specifier) ||
  optional.has(packageOf(specifier)) ||
  external.some((prefix) =>
    prefix.endsWith("/") ? specifier.startsWith(prefix) : packageOf(specifier) === prefix,
  )

rmSync(outDir, { recursive: true, force: true })
const bundle = await rolldown({
  input: { commands: input },
  platform: "node",
  external: isExternal,
  cwd: pluginDir,
  onLog(level, log, handler) {
    // A warning is a bundle that may break at run time: fail the build on it.
    if (level === "warn") handler("error", log)
    else handler(level, log)
  },
})
const { output } = await bundle.write({
  dir: outDir,
  format: "esm",
  sourcemap: true,
  chunkFileNames: "[name]-[hash].js",
})
await bundle.close()

const declared = new Set(
  Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }),
)
const missing = new Map()
const need = (name, why) => {
  if (name !== manifest.name && !declared.has(name) && !missing.has(name)) missing.set(name, why)
}
const workspaceRoot = join(pluginDir, "..", "..")
for (const chunk of output) {
  if (chunk.type !== "chunk") continue
  for (const specifier of [...chunk.imports, ...chunk.dynamicImports]) {
    if (isBuiltin(specifier) || optional.has(packageOf(specifier))) continue
    if (isExternal(specifier)) need(packageOf(specifier), "imported at run time")
  }
  for (const id of chunk.moduleIds) {
    const path = relative(workspaceRoot, id).split(sep)
    if (path[0] !== "packages" || path[1] === undefined) continue
    const library = JSON.parse(
      readFileSync(join(workspaceRoot, "packages", path[1], "package.json"), "utf8"),
    )
    need(library.name, "bundled")
  }
}
if (missing.size > 0) {
  for (const [name, why] of missing)
    process.stderr.write(
      `${manifest.name}: ${name} is ${why} but is not in its dependencies; add it to ${join(pluginDir, "package.json")}\n`,
    )
  process.exit(1)
}
const size = output.reduce((sum, file) => sum + (file.type === "chunk" ? file.code.length : 0), 0)
process.stdout.write(
  `${manifest.name}: ${relative(pluginDir, join(outDir, "commands.js"))} and ${output.filter((file) => file.type === "chunk").length - 1} chunks, ${(size / 1024).toFixed(0)} KiB\n`,
)
