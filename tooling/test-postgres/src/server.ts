/** What the global setup hands to every test file through vitest's `provide`. */
export interface TestServer {
  /** Superuser URL of the maintenance database. */
  readonly adminUrl: string
  readonly version: string
}

/** The empty database every test file's database is cloned from (milliseconds, not seconds). */
export const templateDatabase = "coderops_template"

declare module "vitest" {
  export interface ProvidedContext {
    coderopsPostgres: TestServer
  }
}
