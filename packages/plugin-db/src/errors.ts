import { ExitCode, errorTable } from "@coderops/cli-kit"
import type { InvalidRetention } from "@coderops/dbpurge"
import { describeProblem, type SeedError, type SeedOptions } from "@coderops/synthetic"

/** How `db` commands word the errors of dbpurge (db-core's are cli-kit's). */
export const dbPurgeErrors = errorTable<InvalidRetention>({
  InvalidRetention: () => ({ exitCode: ExitCode.invalidConfig }),
})

/** The flag of `db seed` that sets a seed option: `templatesPerOrg` → `--templates-per-org`. */
const seedFlag = (option: keyof SeedOptions) =>
  `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`

/** How `coderops db seed` words the seeder's errors. */
export const seedErrors = errorTable<SeedError>({
  InvalidSeedOptions: (error) => ({
    problem: `invalid seed options: ${error.problems.map((p) => describeProblem(p, seedFlag)).join("; ")}`,
    hint: "correct the options (see coderops db seed --help)",
    exitCode: ExitCode.invalidConfig,
  }),
  SeedTargetNotEmpty: () => ({
    hint: "seed a fresh database, e.g. one created for rehearsal",
    exitCode: ExitCode.failure,
  }),
})
