// Writes the flag index of docs/configuration.md from the CLI itself: every flag of every
// command, once per name and meaning, with the commands that take it. The rest of that file
// (the environment variables, precedence) is written by hand; only the part between the
// markers is generated. `--check` fails instead of writing when it is not current.
import { readFile } from "node:fs/promises"
import {
  commandName,
  docsPath,
  flagName,
  flagText,
  loadCli,
  visibleFlags,
  writeOrCheck,
} from "./reference.mjs"

const begin = "<!-- BEGIN GENERATED FLAGS: apps/coderops/scripts/configuration-reference.mjs -->"
const end = "<!-- END GENERATED FLAGS -->"

const { config, commands } = await loadCli()
const all = commands.map((command) => command.id)

/** The commands as few words as say them: all, all but a few, or each. */
const whichCommands = (ids) => {
  if (ids.length === all.length) return "every command"
  const others = all.filter((id) => !ids.includes(id))
  const names = (list) => list.map((id) => `\`${id.replaceAll(":", " ")}\``).join(", ")
  return others.length <= 4 ? `every command but ${names(others)}` : names(ids)
}

// One row per flag name and meaning: `--dir` of `migrate up` and of `migrate lint` share one
// when --help says the same of both.
const rows = new Map()
for (const command of commands) {
  for (const flag of visibleFlags(command)) {
    const key = `${flagName(flag)}\u0000${flagText(flag)}`
    const row = rows.get(key) ?? { name: flagName(flag), text: flagText(flag), ids: [] }
    row.ids.push(command.id)
    rows.set(key, row)
  }
}
const table = [
  `Every flag of \`${config.bin}\` ${config.version}, generated from the CLI; \`${commandName(config.bin, "COMMAND")} --help\``,
  "and [commands.md](commands.md) show them per command.",
  "",
  "| flag | commands | meaning |",
  "|---|---|---|",
  ...[...rows.values()]
    .sort((a, b) => a.name.localeCompare(b.name) || a.text.localeCompare(b.text))
    .map((row) => `| \`${row.name}\` | ${whichCommands(row.ids)} | ${row.text} |`),
]

const current = await readFile(docsPath("configuration.md"), "utf8")
const from = current.indexOf(begin)
const to = current.indexOf(end)
if (from === -1 || to < from) {
  console.error(`docs/configuration.md has lost its markers: ${begin} ... ${end}`)
  process.exit(1)
}
await writeOrCheck(
  "configuration.md",
  `${current.slice(0, from + begin.length)}\n${table.join("\n")}\n${current.slice(to)}`,
  `${rows.size} flags`,
)
