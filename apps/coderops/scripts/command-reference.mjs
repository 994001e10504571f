// Writes docs/commands.md, the command reference, from the CLI itself: oclif loads the app
// and its plugins as `coderops` does, and every command's summary, description, arguments,
// flags (with the shared ones) and examples are rendered. `--check` fails instead of writing
// when the file is not current (CI runs it through a test).
import { readFile, writeFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { Config } from "@oclif/core"

const appDir = fileURLToPath(new URL("..", import.meta.url))
const target = fileURLToPath(new URL("../../../docs/commands.md", import.meta.url))

const config = await Config.load(appDir)
const bin = config.bin

/** oclif's example templates, filled in as `--help` fills them. */
const fill = (text, id) =>
  text.replaceAll("<%= config.bin %>", bin).replaceAll("<%= command.id %>", id.replaceAll(":", " "))

const flagLine = (flag) => {
  const name = `${flag.char ? `-${flag.char}, ` : ""}--${flag.name}${flag.type === "option" ? ` ${(flag.helpValue ?? flag.name).toString().toUpperCase()}` : ""}`
  const facts = [
    flag.default !== undefined && flag.default !== false
      ? `default: \`${flag.default}\``
      : undefined,
    flag.options ? `one of: ${flag.options.map((o) => `\`${o}\``).join(", ")}` : undefined,
    flag.required ? "required" : undefined,
    flag.multiple ? "repeatable" : undefined,
    flag.env ? `env: \`${flag.env}\`` : undefined,
  ].filter(Boolean)
  const text = [
    flag.summary ?? flag.description ?? "",
    facts.length > 0 ? `(${facts.join("; ")})` : "",
  ]
    .filter(Boolean)
    .join(" ")
    .replaceAll("|", "\\|")
    .replaceAll("\n", " ")
  return `| \`${name}\` | ${text} |`
}

const commands = config.commands
  .filter((command) => !command.hidden && command.pluginName !== "@oclif/plugin-help")
  .sort((a, b) => a.id.localeCompare(b.id))

const lines = [
  "# Command reference",
  "",
  `Generated from the CLI (\`${bin}\` ${config.version}) by \`apps/coderops/scripts/command-reference.mjs\`;`,
  "a test fails when it is not current. `coderops COMMAND --help` shows the same.",
  "",
  ...commands.map(
    (command) =>
      `- [\`${bin} ${command.id.replaceAll(":", " ")}\`](#${`${bin}-${command.id.replaceAll(":", "-")}`})`,
  ),
  "",
]
for (const command of commands) {
  const id = command.id.replaceAll(":", " ")
  lines.push(`## \`${bin} ${id}\``, "")
  if (command.summary) lines.push(command.summary, "")
  const args = Object.values(command.args ?? {})
  const usage = [
    bin,
    id,
    ...args.map((arg) => (arg.required ? arg.name.toUpperCase() : `[${arg.name.toUpperCase()}]`)),
    "[FLAGS]",
  ]
  lines.push("```", usage.join(" "), "```", "")
  if (command.description) lines.push(command.description.trim(), "")
  if (args.length > 0) {
    lines.push("| argument | |", "|---|---|")
    for (const arg of args)
      lines.push(
        `| \`${arg.name.toUpperCase()}\` | ${(arg.description ?? "").replaceAll("|", "\\|")}${arg.required ? " (required)" : ""} |`,
      )
    lines.push("")
  }
  const flags = Object.values(command.flags ?? {}).filter((flag) => !flag.hidden)
  const groups = new Map()
  for (const flag of flags) {
    const group =
      flag.helpGroup ?? (command.baseFlags?.[flag.name] !== undefined ? "GLOBAL" : "FLAGS")
    groups.set(group, [...(groups.get(group) ?? []), flag])
  }
  for (const [group, members] of [...groups].sort(([a], [b]) =>
    a === "FLAGS" ? -1 : b === "FLAGS" ? 1 : a.localeCompare(b),
  )) {
    lines.push(`| ${group.toLowerCase()} flag | |`, "|---|---|")
    for (const flag of members.sort((a, b) => a.name.localeCompare(b.name)))
      lines.push(flagLine(flag))
    lines.push("")
  }
  const examples = (command.examples ?? []).map((example) =>
    typeof example === "string" ? { command: example } : example,
  )
  if (examples.length > 0) {
    lines.push("Examples:", "")
    for (const example of examples) {
      if (example.description) lines.push(`${fill(example.description, command.id)}`, "")
      lines.push("```sh", fill(example.command, command.id), "```", "")
    }
  }
}
const text = `${lines.join("\n").trimEnd()}\n`

if (process.argv.includes("--check")) {
  const current = await readFile(target, "utf8").catch(() => "")
  if (current !== text) {
    console.error(
      "docs/commands.md is not current: run `pnpm docs:reference` (after a build) and commit it",
    )
    process.exit(1)
  }
} else {
  await writeFile(target, text)
  console.log(`wrote ${target}: ${commands.length} commands`)
}
