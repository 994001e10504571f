import { ExitCode, redactSecrets, writeFailure } from "@coderops/cli-kit"
import type { Hook } from "@oclif/core"

/**
 * An unknown command, as every other usage error: one line and a hint on stderr, or the
 * error document with `--json`; exit 2. oclif's own "command X not found" joins the words
 * of the command line into X, so a URL given without its flag (`coderops db info
 * postgres://u:pw@...`) would be echoed with its password: it is redacted.
 */
const commandNotFound: Hook<"command_not_found"> = async function ({ id, argv }) {
  const bin = this.config.bin
  const words = id.split(":")
  // The longest leading words that name a command: the rest are arguments it does not take.
  const known = words
    .map((_, index) => words.slice(0, words.length - index).join(":"))
    .find((prefix) => this.config.findCommand(prefix) !== undefined)
  const command = known?.replaceAll(":", " ")
  const report =
    words[0] === undefined || words[0] === "" || words[0].startsWith("-")
      ? { tag: "UnknownCommand", message: "no command given", details: undefined }
      : command === undefined
        ? {
            tag: "UnknownCommand",
            message: `unknown command: ${words.join(" ")}`,
            details: { command: words.join(" ") },
          }
        : {
            tag: "UsageError",
            message: `${bin} ${command} takes no argument ${words.slice(command.split(" ").length).join(" ")}`,
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
    { json: [id, ...(argv ?? [])].includes("--json") },
  )
  this.exit(ExitCode.usage)
}

export default commandNotFound
