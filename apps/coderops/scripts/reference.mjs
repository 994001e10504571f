// What the generated references (docs/commands.md, the flags of docs/configuration.md) share:
// the CLI loaded by oclif as `coderops` loads it, a flag's name and facts in one wording,
// and writing a file or, with `--check`, failing when it is not current.
import { readFile, writeFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { Config } from "@oclif/core"

export const appDir = fileURLToPath(new URL("..", import.meta.url))

/** A path under the repository's docs/ folder. */
export const docsPath = (name) => fileURLToPath(new URL(`../../../docs/${name}`, import.meta.url))

/** The CLI's config and its documented commands (hidden ones and oclif's help plugin left out). */
export const loadCli = async () => {
  const config = await Config.load(appDir)
  const commands = config.commands
    .filter((command) => !command.hidden && command.pluginName !== "@oclif/plugin-help")
    .sort((a, b) => a.id.localeCompare(b.id))
  return { config, commands }
}

/** `coderops db purge api-keys` for the id `db:purge:api-keys`. */
export const commandName = (bin, id) => `${bin} ${id.replaceAll(":", " ")}`

/** `-j, --jobs N` as --help writes it. */
export const flagName = (flag) =>
  `${flag.char ? `-${flag.char}, ` : ""}--${flag.name}${flag.type === "option" ? ` ${(flag.helpValue ?? flag.name).toString().toUpperCase()}` : ""}`

/** A flag's summary and facts (default, choices, env), as one table cell. */
export const flagText = (flag) => {
  const facts = [
    flag.default !== undefined && flag.default !== false
      ? `default: \`${flag.default}\``
      : undefined,
    flag.options ? `one of: ${flag.options.map((o) => `\`${o}\``).join(", ")}` : undefined,
    flag.required ? "required" : undefined,
    flag.multiple ? "repeatable" : undefined,
    flag.env ? `env: \`${flag.env}\`` : undefined,
  ].filter(Boolean)
  return [flag.summary ?? flag.description ?? "", facts.length > 0 ? `(${facts.join("; ")})` : ""]
    .filter(Boolean)
    .join(" ")
    .replaceAll("|", "\\|")
    .replaceAll("\n", " ")
}

/** The flags a command shows in --help. */
export const visibleFlags = (command) =>
  Object.values(command.flags ?? {}).filter((flag) => !flag.hidden)

/**
 * Writes `text` to docs/`name`, or under `--check` exits 1 when the file differs from it.
 */
export const writeOrCheck = async (name, text, summary) => {
  const target = docsPath(name)
  if (process.argv.includes("--check")) {
    const current = await readFile(target, "utf8").catch(() => "")
    if (current !== text) {
      console.error(
        `docs/${name} is not current: run \`pnpm docs:reference\` (after a build) and commit it`,
      )
      process.exit(1)
    }
  } else {
    await writeFile(target, text)
    console.log(`wrote ${target}: ${summary}`)
  }
}
