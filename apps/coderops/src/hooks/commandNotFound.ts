import { ExitCode, redactSecrets, writeFailure } from "@coderops/cli-kit"
import type { Hook } from "@oclif/core"

/**
 * An unknown command, as every other usage error: one line and a hint on stderr, or the
 * error document with `--json`; exit 2. oclif's own "command X not found" joins the words
 * of the command line into X, so a URL given without its flag (`coderops db info
 * postgres://u:pw@...`) would be echoed with its password: it is redacted.
 */
const commandNotFound: Hook<"command_not_found"> = async function () {
  const bin = this.config.bin
  // The command line's own words: oclif's id joins them with ":", which a URL holds too.
  const given = process.argv.slice(2)
  const firstFlag = given.findIndex((word) => word.startsWith("-"))
  const words = firstFlag === -1 ? given : given.slice(0, firstFlag)
  // The longest leading words that name a command: the next one is an argument it does not take.
  const named = words.findLastIndex((_, index) =>
    this.config.findCommand(words.slice(0, index + 1).join(":")),
  )
  const command = named === -1 ? undefined : words.slice(0, named + 1).join(" ")
  const report =
    words.length === 0
      ? { tag: "UnknownCommand", message: "no command given", details: undefined }
      : command === undefined
        ? {
            tag: "UnknownCommand",
            message: `unknown command: ${words.join(" ")}`,
            details: { command: words.join(" ") },
          }
        : {
            tag: "UsageError",
            message: `${bin} ${command} takes no argument ${words[named + 1] ?? ""}`,
            details: { command },
          }
  writeFailure(
    {
      tag: report.tag,
      message: redactSecrets(report.message),
      hint:
        command === undefined
          ? `see \`${bin} --help\` for the commands`
          : `see \`${bin} ${command} --help\``,
      exitCode: ExitCode.usage,
      details:
        report.details === undefined
          ? undefined
          : { command: redactSecrets(report.details.command) },
    },
    { json: given.includes("--json") },
  )
  this.exit(ExitCode.usage)
}

export default commandNotFound
