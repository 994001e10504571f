import { tagGuard } from "@coderops/pg-server"
import type { InvalidDatabaseConfig } from "./DatabaseConfig.js"
import type { AdvisoryLockBusy, NotInTransaction } from "./DbShape.js"
import type { EmbeddedPostgresError } from "./EmbeddedPostgresError.js"
import type { SchemaMissing } from "./RequiredTables.js"
import type { UnsupportedServerVersion } from "./ServerVersion.js"
import type { SqlError } from "./SqlError.js"

/** Every error db-core raises: the CLI words each tag (cli-kit's db-core error table). */
export type DbCoreError =
  | SqlError
  | InvalidDatabaseConfig
  | UnsupportedServerVersion
  | EmbeddedPostgresError
  | AdvisoryLockBusy
  | NotInTransaction
  | SchemaMissing

/**
 * The one line that names what went wrong, from the error's facts: the statement, the
 * server's message and SQLSTATE, the target. What to do about it is the caller's to say.
 */
export const describeDbCoreError = (error: DbCoreError): string => {
  switch (error._tag) {
    case "ConnectionFailed":
      return `cannot connect to ${error.target} (${error.code}: ${error.message})`
    case "AuthenticationFailed":
      return `authentication failed for user "${error.user}" at ${error.target}`
    case "RoleNotFound":
      return `role "${error.user}" does not exist at ${error.target}`
    case "DatabaseNotFound":
      return `database "${error.database}" does not exist at ${error.target}`
    case "LockNotAvailable":
    case "DeadlockDetected":
    case "SerializationFailure":
    case "QueryFailed":
      return `${error.query}: ${error.message} (SQLSTATE ${error.sqlState})`
    case "QueryCanceled":
      return `${error.query}: ${error.message}`
    case "SqlSyntaxError":
      return `${error.query}: ${error.message}${error.line === undefined ? "" : ` at line ${error.line}, column ${error.column}`}`
    case "UniqueViolation":
    case "ForeignKeyViolation":
      return `${error.query}: ${error.message}${error.constraint ? ` (constraint ${error.constraint})` : ""}`
    case "InvalidDatabaseConfig":
    case "UnsupportedServerVersion":
    case "EmbeddedPostgresError":
    case "AdvisoryLockBusy":
    case "NotInTransaction":
    case "SchemaMissing":
      return error.message
  }
}

/** Whether a failure is one of db-core's errors (every tag, checked by the compiler). */
export const isDbCoreError = tagGuard<DbCoreError>({
  ConnectionFailed: true,
  AuthenticationFailed: true,
  RoleNotFound: true,
  DatabaseNotFound: true,
  LockNotAvailable: true,
  DeadlockDetected: true,
  SerializationFailure: true,
  QueryFailed: true,
  QueryCanceled: true,
  SqlSyntaxError: true,
  UniqueViolation: true,
  ForeignKeyViolation: true,
  InvalidDatabaseConfig: true,
  UnsupportedServerVersion: true,
  EmbeddedPostgresError: true,
  AdvisoryLockBusy: true,
  NotInTransaction: true,
  SchemaMissing: true,
})
