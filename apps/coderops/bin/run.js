#!/usr/bin/env node
import * as nodeModule from "node:module"

// Say so plainly instead of failing on some API older Node lacks.
const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `Error: coderops needs Node.js 22.12 or newer; this is Node.js ${process.versions.node}.\nHint: install a current Node.js LTS (22 or 24) and run coderops with it.\n`,
  )
  process.exit(3) // ExitCode.invalidConfig: cli-kit cannot be loaded on this Node
}

// `coderops ... | head`: a reader that has seen enough closes the pipe; that ends the
// output, not the command with an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0)
    throw error
  })
}

// Colours only on a terminal (README, "JSON output"): FORCE_COLOR, which tools such as turbo
// and CI runners pass down, must not put escape codes into a file, a pipe or --json.
if (!process.stdout.isTTY || !process.stderr.isTTY) delete process.env.FORCE_COLOR

// Cache compiled code between runs: module loading dominates a cold start.
nodeModule.enableCompileCache()
// The check above is the one that matters; oclif's own loads semver (47 modules) to
// compare against its older minimum.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= "1"
const { execute } = await import("@oclif/core")
await execute({ dir: import.meta.url })
