// Writes docs/commands.md, the command reference, from the CLI itself: oclif loads the app
// and its plugins as `coderops` does, and every command's summary, description, arguments,
// flags (with the shared ones) and examples are rendered. `--check` fails instead of writing
// when the file is not current (CI runs it through a test).
import {
  commandName,
  flagName,
  flagText,
  loadCli,
  visibleFlags,
  writeOrCheck,
} from "./reference.mjs"

const { config, commands } = await loadCli()
const bin = config.bin

/** oclif's example templates, filled in as `--help` fills them. */
const fill = (text, id) =>
  text.replaceAll("<%= config.bin %>", bin).replaceAll("<%= command.id %>", id.replaceAll(":", " "))

const lines = [
  "# Command reference",
  "",
  `Generated from the CLI (\`${bin}\` ${config.version}) by \`apps/coderops/scripts/command-reference.mjs\`;`,
  "a test fails when it is not current. `coderops COMMAND --help` shows the same.",
  "",
  ...commands.map(
    (command) =>
      `- [\`${commandName(bin, command.id)}\`](#${`${bin}-${command.id.replaceAll(":", "-")}`})`,
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
  const groups = new Map()
  for (const flag of visibleFlags(command)) {
    const group =
      flag.helpGroup ?? (command.baseFlags?.[flag.name] !== undefined ? "GLOBAL" : "FLAGS")
    groups.set(group, [...(groups.get(group) ?? []), flag])
  }
  for (const [group, members] of [...groups].sort(([a], [b]) =>
    a === "FLAGS" ? -1 : b === "FLAGS" ? 1 : a.localeCompare(b),
  )) {
    lines.push(`| ${group.toLowerCase()} flag | |`, "|---|---|")
    for (const flag of members.sort((a, b) => a.name.localeCompare(b.name)))
      lines.push(`| \`${flagName(flag)}\` | ${flagText(flag)} |`)
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

await writeOrCheck("commands.md", `${lines.join("\n").trimEnd()}\n`, `${commands.length} commands`)
