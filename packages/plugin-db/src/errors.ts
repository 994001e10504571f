import { ExitCode, errorTable } from "@coderops/cli-kit"
import type { InvalidRetention } from "@coderops/dbpurge"

/** How `db` commands word the errors of dbpurge (db-core's are cli-kit's). */
export const dbPurgeErrors = errorTable<InvalidRetention>({
  InvalidRetention: () => ({ exitCode: ExitCode.invalidConfig }),
})
