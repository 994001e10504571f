import { ExitCode, redactSecrets } from "@coderops/cli-kit"
import type { Hook } from "@oclif/core"

/**
 * oclif's own "command X not found" joins the words of the command line into X, so a
 * URL given without its flag (`coderops db info postgres://u:pw@...`) would be echoed
 * with its password.
 */
const commandNotFound: Hook<"command_not_found"> = async function ({ id }) {
  this.error(redactSecrets(`command ${id} not found`), { exit: ExitCode.usage })
}

export default commandNotFound
