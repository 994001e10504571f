import {
  type DbCoreError,
  describeDbCoreError,
  type InvalidDuration,
  type PgServerError,
  tlsFailureOf,
} from "@coderops/db-core"
import { errorTable, type Wording } from "./ErrorTable.js"
import { ExitCode } from "./ExitCode.js"

const lockConflict = (error: DbCoreError): Wording => ({
  problem: describeDbCoreError(error),
  hint: "another session holds conflicting locks; retry, or find it in pg_stat_activity / pg_locks",
  exitCode: ExitCode.lockConflict,
})

const constraintViolation = (error: DbCoreError & { readonly detail?: string | undefined }) => ({
  problem: describeDbCoreError(error),
  hint: error.detail ?? "the data conflicts with a constraint",
  exitCode: ExitCode.sqlError,
})

/** The embedded server's own errors (pg-server's), alone or as an EmbeddedPostgresError's reason. */
const pgServerWording: {
  readonly [K in PgServerError["_tag"]]: (error: Extract<PgServerError, { _tag: K }>) => Wording
} = {
  ClusterError: (error) => ({
    hint: error.logFile
      ? `see the server log at ${error.logFile}, or pass --database-url to use your own server`
      : "pass --database-url to use your own server, or set CODEROPS_DATA_DIR to another folder",
    exitCode: ExitCode.embeddedServer,
  }),
  DirectoryNotEnterable: (error) => ({
    hint:
      error.what === "PostgreSQL binaries"
        ? `let the ${error.account} account enter ${error.directory} (chmod o+x, or group ${error.account} with g+x), or set XDG_CACHE_HOME to a folder it can enter, where coderops keeps a copy of the server's binaries`
        : `coderops does not change the mode of a directory it did not create: let the ${error.account} account enter ${error.directory} (chmod o+x, or group ${error.account} with g+x), or set CODEROPS_DATA_DIR to a path coderops may create under a directory it can enter`,
    exitCode: ExitCode.embeddedServer,
  }),
  UnsafeDirectory: (error) => ({
    hint:
      error.what === "PostgreSQL binaries"
        ? "set XDG_CACHE_HOME to a folder only you can write, where coderops keeps a copy of the server's binaries"
        : "set CODEROPS_DATA_DIR to a folder only you can write, or to one with the sticky bit (like /tmp), in which coderops makes a private folder of its own",
    exitCode: ExitCode.embeddedServer,
  }),
}

const wordPgServerError = (error: PgServerError): Wording =>
  // biome-ignore lint/suspicious/noExplicitAny: the entry for the error's own tag.
  (pgServerWording[error._tag] as (error: any) => Wording)(error)

/** db-core's errors as every coderops command words them: all plugins share this table. */
export const dbCoreErrors = errorTable<DbCoreError | InvalidDuration | PgServerError>({
  ConnectionFailed: (error) => ({
    problem: describeDbCoreError(error),
    hint:
      tlsFailureOf(error) === "no-tls"
        ? "the server offers no TLS: enable ssl on the server, or use sslmode=disable on a network you trust"
        : tlsFailureOf(error) === "certificate"
          ? "the server's certificate did not verify: pass its CA with sslrootcert=, or use sslmode=require to encrypt without verifying"
          : "check the host and port, that PostgreSQL is running and reachable from here, or pass --database-url",
    exitCode: ExitCode.connectionFailed,
  }),
  AuthenticationFailed: (error) => ({
    problem:
      error.passwordGiven === false
        ? `${describeDbCoreError(error)}: the server asks for a password and none was given`
        : describeDbCoreError(error),
    hint:
      error.passwordGiven === false
        ? "give the password in the database URL, after the user name and a colon (percent-encoded), in PGPASSWORD or in ~/.pgpass"
        : "check the user and password in the database URL (--database-url, CODER_PG_CONNECTION_URL or DATABASE_URL); a server that asks for a password gives this same answer for a user that does not exist",
    exitCode: ExitCode.authenticationFailed,
  }),
  RoleNotFound: (error) => ({
    problem: describeDbCoreError(error),
    hint: `correct the user name in the database URL (--database-url, CODER_PG_CONNECTION_URL or DATABASE_URL), or create the role on the server (CREATE ROLE "${error.user.replaceAll(`"`, `""`)}" LOGIN)`,
    exitCode: ExitCode.authenticationFailed,
  }),
  DatabaseNotFound: (error) => ({
    problem: describeDbCoreError(error),
    hint: "correct the database name in the URL, or create it (CREATE DATABASE)",
    exitCode: ExitCode.databaseNotFound,
  }),
  InvalidDatabaseConfig: () => ({
    hint: "use the form postgres://USER@HOST:5432/DATABASE?sslmode=require, with the password after USER: (percent-encoded)",
    exitCode: ExitCode.invalidConfig,
  }),
  InvalidDuration: () => ({ exitCode: ExitCode.invalidConfig }),
  UnsupportedServerVersion: () => ({
    hint: "upgrade PostgreSQL to 13 or later (Coder requires it too)",
    exitCode: ExitCode.unsupportedServer,
  }),
  EmbeddedPostgresError: (error) =>
    error.server === "private"
      ? {
          hint: "the server the rehearsal starts for its scratch databases lives in the temporary folder: set TMPDIR to a folder with room for the scratch data that the server's account can enter, or pass --scratch-url to make them on a server of yours",
          exitCode: ExitCode.embeddedServer,
        }
      : error.reason === undefined
        ? {
            hint: "pass --database-url to use your own server, or set CODEROPS_DATA_DIR to another folder",
            exitCode: ExitCode.embeddedServer,
          }
        : // The problem stays the error's own line, which names the embedded server's root.
          { hint: wordPgServerError(error.reason).hint, exitCode: ExitCode.embeddedServer },
  ...pgServerWording,
  LockNotAvailable: lockConflict,
  DeadlockDetected: lockConflict,
  SerializationFailure: lockConflict,
  QueryCanceled: (error) => ({
    problem: describeDbCoreError(error),
    hint:
      error.reason === "statement_timeout"
        ? "the statement ran longer than statement_timeout; raise it for this run or reduce the work"
        : "the query was cancelled by an operator or a shutdown",
    exitCode: ExitCode.sqlError,
  }),
  SqlSyntaxError: (error) => ({
    problem: describeDbCoreError(error),
    hint: "fix the SQL at that position",
    exitCode: ExitCode.sqlError,
  }),
  UniqueViolation: constraintViolation,
  ForeignKeyViolation: constraintViolation,
  AdvisoryLockBusy: () => ({
    hint: "wait for the other session to finish, then retry",
    exitCode: ExitCode.lockConflict,
  }),
  SchemaMissing: (error) => ({
    problem: `${error.message}: it is not a Coder database, or it is not migrated`,
    hint: "point --database-url (or CODER_PG_CONNECTION_URL) at coderd's database; for a database of your own (a rehearsal), create the Coder schema coderops bundles with `coderops migrate up` first",
    exitCode: ExitCode.failure,
  }),
  NotInTransaction: () => ({
    hint: "this is a bug in the calling code; please report it",
    exitCode: ExitCode.failure,
  }),
  QueryFailed: (error) => ({
    problem: describeDbCoreError(error),
    hint:
      error.sqlState === "42501"
        ? "grant the privilege named above to this user"
        : (error.detail ?? "see the PostgreSQL documentation for this SQLSTATE"),
    exitCode: ExitCode.sqlError,
  }),
})
