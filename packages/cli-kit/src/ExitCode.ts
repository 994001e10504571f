/** Documented exit codes (README, "Exit codes"): scripts can branch on them. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  invalidConfig: 3,
  connectionFailed: 4,
  authenticationFailed: 5,
  databaseNotFound: 6,
  unsupportedServer: 7,
  embeddedServer: 8,
  lockConflict: 9,
  sqlError: 10,
  /** `migrate lint` found an error-severity finding (none silenced). */
  lintErrors: 11,
  databaseDirty: 12,
  migrationRunning: 13,
  interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]
