import { ExitCode, redactSecrets, usageProblem, writeFailure } from "@coderops/cli-kit"
import { Args, Command, Flags, type Interfaces, loadHelpClass } from "@oclif/core"

/**
 * `coderops help [COMMAND]`: oclif's help text (as @oclif/plugin-help shows it), but its
 * failures (an unknown command, a flag) are worded as every other command's: one line and
 * a hint, or the error document under --json; exit 2. Help itself is text only.
 */
export default class Help extends Command {
  static override summary = "Show help for coderops or one of its commands."

  static override args = {
    command: Args.string({ description: "The command to show help for.", required: false }),
  }

  static override flags = {
    "nested-commands": Flags.boolean({
      char: "n",
      summary: "Include all nested commands in the output.",
    }),
  }

  // The command's words follow: `coderops help db purge api-keys`.
  static override strict = false

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Help)
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config, { all: flags["nested-commands"] }).showHelp(argv as string[])
  }

  protected override async catch(error: Interfaces.CommandError): Promise<undefined> {
    const bin = this.config.bin
    const unknown = /^Command (.+) not found\.?$/.exec(error.message)?.[1]?.replaceAll(":", " ")
    process.exitCode = ExitCode.usage
    writeFailure(
      {
        tag: unknown === undefined ? "UsageError" : "UnknownCommand",
        message: redactSecrets(
          unknown === undefined ? usageProblem(error.message) : `unknown command: ${unknown}`,
        ),
        hint:
          unknown === undefined
            ? `see \`${bin} help --help\``
            : `see \`${bin} --help\` for the commands`,
        exitCode: ExitCode.usage,
        details: unknown === undefined ? undefined : { command: redactSecrets(unknown) },
      },
      { json: this.argv.includes("--json") },
    )
    return undefined
  }
}
