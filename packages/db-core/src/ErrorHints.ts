import type { InvalidDatabaseConfig } from "./DatabaseConfig.js"
import type { AdvisoryLockBusy, NotInTransaction } from "./Db.js"
import type { EmbeddedPostgresError } from "./EmbeddedPostgres.js"
import type { UnsupportedServerVersion } from "./ServerVersion.js"
import { type SqlError, tlsFailureOf } from "./SqlError.js"

export type DbCoreError =
  | SqlError
  | InvalidDatabaseConfig
  | UnsupportedServerVersion
  | EmbeddedPostgresError
  | AdvisoryLockBusy
  | NotInTransaction

/** One line that names the problem, and one that says what to do about it. */
export interface Explanation {
  readonly problem: string
  readonly hint: string
}

/** What a person reads when a db-core error ends a command or fails a check. */
export const explain = (error: DbCoreError): Explanation => {
  switch (error._tag) {
    case "ConnectionFailed":
      return {
        problem: `cannot connect to ${error.target} (${error.code}: ${error.message})`,
        hint:
          tlsFailureOf(error) === "no-tls"
            ? "the server offers no TLS: enable ssl on the server, or use sslmode=disable on a network you trust"
            : tlsFailureOf(error) === "certificate"
              ? "the server's certificate did not verify: pass its CA with sslrootcert=, or use sslmode=require to encrypt without verifying"
              : "check the host and port, that PostgreSQL is running and reachable from here, or pass --database-url",
      }
    case "AuthenticationFailed":
      return {
        problem: `authentication failed for user "${error.user}" at ${error.target}`,
        hint: "check the user and password in the database URL (--database-url, CODER_PG_CONNECTION_URL or DATABASE_URL)",
      }
    case "DatabaseNotFound":
      return {
        problem: `database "${error.database}" does not exist at ${error.target}`,
        hint: "correct the database name in the URL, or create it (CREATE DATABASE)",
      }
    case "InvalidDatabaseConfig":
      return {
        problem: error.message,
        hint: "use the form postgres://USER@HOST:5432/DATABASE?sslmode=require, with the password after USER: (percent-encoded)",
      }
    case "UnsupportedServerVersion":
      return {
        problem: error.message,
        hint: "upgrade PostgreSQL to 13 or later (Coder requires it too)",
      }
    case "EmbeddedPostgresError":
      return {
        problem: error.message,
        hint:
          error.unsafeDirectory?.problem === "not-enterable"
            ? `coderops does not change the mode of a directory it did not create: let the ${error.unsafeDirectory.account} account enter ${error.unsafeDirectory.directory} (chmod o+x, or group ${error.unsafeDirectory.account} with g+x), or set CODEROPS_DATA_DIR to a path coderops may create under a directory it can enter`
            : error.unsafeDirectory?.problem === "writable-by-others"
              ? "set CODEROPS_DATA_DIR to a folder only you can write, or to one with the sticky bit (like /tmp), in which coderops makes a private folder of its own"
              : error.logFile
                ? `see the server log at ${error.logFile}, or pass --database-url to use your own server`
                : "pass --database-url to use your own server, or set CODEROPS_DATA_DIR to another folder",
      }
    case "LockNotAvailable":
    case "DeadlockDetected":
    case "SerializationFailure":
      return {
        problem: `${error.query}: ${error.message} (SQLSTATE ${error.sqlState})`,
        hint: "another session holds conflicting locks; retry, or find it in pg_stat_activity / pg_locks",
      }
    case "QueryCanceled":
      return {
        problem: `${error.query}: ${error.message}`,
        hint:
          error.reason === "statement_timeout"
            ? "the statement ran longer than statement_timeout; raise it for this run or reduce the work"
            : "the query was cancelled by an operator or a shutdown",
      }
    case "SqlSyntaxError":
      return {
        problem: `${error.query}: ${error.message}${error.line === undefined ? "" : ` at line ${error.line}, column ${error.column}`}`,
        hint: "fix the SQL at that position",
      }
    case "UniqueViolation":
    case "ForeignKeyViolation":
      return {
        problem: `${error.query}: ${error.message}${error.constraint ? ` (constraint ${error.constraint})` : ""}`,
        hint: error.detail ?? "the data conflicts with a constraint",
      }
    case "AdvisoryLockBusy":
      return { problem: error.message, hint: "wait for the other session to finish, then retry" }
    case "NotInTransaction":
      return { problem: error.message, hint: "this is a bug in the calling code; please report it" }
    case "QueryFailed":
      return {
        problem: `${error.query}: ${error.message} (SQLSTATE ${error.sqlState})`,
        hint:
          error.sqlState === "42501"
            ? "grant the privilege named above to this user"
            : (error.detail ?? "see the PostgreSQL documentation for this SQLSTATE"),
      }
  }
}
