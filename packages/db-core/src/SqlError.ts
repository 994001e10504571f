import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { DatabaseError } from "pg"
import { notScramCode } from "./internal/embeddedClient.js"
import { statementsCompleted } from "./internal/scriptQuery.js"
import { lineAndColumnOfPosition } from "./TextPosition.js"

/** Fields every error from a statement carries, so a person can find what failed. */
interface StatementFields {
  /** The statement's name (`GetOrganizationsWithPrebuildStatus`), never its SQL text. */
  readonly query: string
  readonly sqlState: string
  readonly message: string
  readonly detail?: string | undefined
  /** Where in the text sent the server placed the error (1-based), when it said. */
  readonly line?: number | undefined
  readonly column?: number | undefined
  /**
   * For a multi-statement script: the 0-based index of the failing statement among the
   * statements of the text sent (how many the server completed before it).
   */
  readonly statementIndex?: number | undefined
}

export class UniqueViolation extends Data.TaggedError("UniqueViolation")<
  StatementFields & { readonly constraint: string | undefined; readonly table: string | undefined }
> {}

export class ForeignKeyViolation extends Data.TaggedError("ForeignKeyViolation")<
  StatementFields & { readonly constraint: string | undefined; readonly table: string | undefined }
> {}

/** SQLSTATE 55P03: `lock_timeout` expired or NOWAIT could not get a lock. Transient. */
export class LockNotAvailable extends Data.TaggedError("LockNotAvailable")<StatementFields> {}

/** SQLSTATE 40P01. Transient: the other transaction won; retrying usually succeeds. */
export class DeadlockDetected extends Data.TaggedError("DeadlockDetected")<StatementFields> {}

/** SQLSTATE 40001 under REPEATABLE READ / SERIALIZABLE. Transient. */
export class SerializationFailure extends Data.TaggedError(
  "SerializationFailure",
)<StatementFields> {}

/** SQLSTATE 57014: `statement_timeout` expired, or the query was cancelled. */
export class QueryCanceled extends Data.TaggedError("QueryCanceled")<
  StatementFields & { readonly reason: "statement_timeout" | "canceled" }
> {}

/** SQLSTATE 42601. */
export class SqlSyntaxError extends Data.TaggedError("SqlSyntaxError")<StatementFields> {}

/** No server answered: refused, unknown host, unreachable, or timed out while connecting. */
export class ConnectionFailed extends Data.TaggedError("ConnectionFailed")<{
  readonly query: string
  readonly target: string
  readonly code: string
  readonly message: string
}> {}

/** SQLSTATE 28P01 / 28000: the server rejected the user or the password. */
export class AuthenticationFailed extends Data.TaggedError("AuthenticationFailed")<
  StatementFields & {
    readonly user: string
    readonly target: string
    /** False when the server asked for a password and none was given (URL, PGPASSWORD). */
    readonly passwordGiven?: boolean
  }
> {}

/**
 * SQLSTATE 28000 "role ... does not exist": the server authenticated the connection (trust,
 * cert, peer) and then found no such role. Where it asks for a password it answers 28P01
 * for an unknown role as for a wrong password, to not tell which roles exist.
 */
export class RoleNotFound extends Data.TaggedError("RoleNotFound")<
  StatementFields & { readonly user: string; readonly target: string }
> {}

/** SQLSTATE 3D000. */
export class DatabaseNotFound extends Data.TaggedError("DatabaseNotFound")<
  StatementFields & { readonly database: string; readonly target: string }
> {}

/** Any other server or driver error: the SQLSTATE says what it was. */
export class QueryFailed extends Data.TaggedError("QueryFailed")<StatementFields> {}

export type SqlError =
  | UniqueViolation
  | ForeignKeyViolation
  | LockNotAvailable
  | DeadlockDetected
  | SerializationFailure
  | QueryCanceled
  | SqlSyntaxError
  | ConnectionFailed
  | AuthenticationFailed
  | RoleNotFound
  | DatabaseNotFound
  | QueryFailed

/** Where the failing statement was sent, for messages: never holds a password. */
export interface ErrorContext {
  readonly query: string
  /** The SQL text sent, to turn an error position into a line and column. */
  readonly text?: string | undefined
  /** `host:port/database`, for connection errors. */
  readonly target: string
  readonly user: string
  readonly database: string
}

const connectionCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
  "EPIPE",
  // A server that does not authenticate as the embedded one does (SCRAM).
  notScramCode,
])

/** Node's codes for a TLS handshake whose certificate did not verify. */
const tlsCodes = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/

/** The connection failed in TLS: no TLS offered, or a certificate that did not verify. */
export const tlsFailureOf = (error: ConnectionFailed): "no-tls" | "certificate" | undefined =>
  error.code === "ENOTLS" ? "no-tls" : tlsCodes.test(error.code) ? "certificate" : undefined

const isDatabaseError = (cause: unknown): cause is DatabaseError => {
  const code = (cause as { code?: unknown } | undefined)?.code
  return (
    cause instanceof Error && typeof code === "string" && code.length === 5 && "severity" in cause
  )
}

/** Maps whatever `pg` threw into the typed error a caller can act on. */
export const fromPgError = (cause: unknown, context: ErrorContext): SqlError => {
  const { query } = context
  if (isDatabaseError(cause)) {
    // PostgreSQL gives a position for syntax errors and for many others (an unknown
    // column, a bad cast): a line and column of the text sent finds the statement.
    const position = cause.position === undefined ? undefined : Number(cause.position)
    const where =
      position !== undefined && context.text !== undefined
        ? lineAndColumnOfPosition(context.text, position)
        : undefined
    const base = {
      query,
      sqlState: cause.code ?? "XX000",
      message: cause.message,
      detail: cause.detail,
      line: where?.line,
      column: where?.column,
      statementIndex: statementsCompleted.get(cause),
    }
    switch (cause.code) {
      case "23505":
        return new UniqueViolation({ ...base, constraint: cause.constraint, table: cause.table })
      case "23503":
        return new ForeignKeyViolation({
          ...base,
          constraint: cause.constraint,
          table: cause.table,
        })
      case "55P03":
        return new LockNotAvailable(base)
      case "40P01":
        return new DeadlockDetected(base)
      case "40001":
        return new SerializationFailure(base)
      case "57014":
        return new QueryCanceled({
          ...base,
          reason: cause.message.includes("statement timeout") ? "statement_timeout" : "canceled",
        })
      case "42601":
        return new SqlSyntaxError(base)
      case "28000":
        // The server's words (lc_messages); in English on every server coderops starts.
        if (/role ".*" does not exist/.test(cause.message))
          return new RoleNotFound({ ...base, user: context.user, target: context.target })
        return new AuthenticationFailed({ ...base, user: context.user, target: context.target })
      case "28P01":
        return new AuthenticationFailed({ ...base, user: context.user, target: context.target })
      case "3D000":
        return new DatabaseNotFound({ ...base, database: context.database, target: context.target })
      // The server went away or is not ready: shutdown, crash recovery, startup, class 08.
      case "57P01":
      case "57P02":
      case "57P03":
        return new ConnectionFailed({
          query,
          target: context.target,
          code: cause.code,
          message: cause.message,
        })
      default:
        return cause.code?.startsWith("08")
          ? new ConnectionFailed({
              query,
              target: context.target,
              code: cause.code,
              message: cause.message,
            })
          : new QueryFailed(base)
    }
  }
  const code = (cause as { code?: unknown } | undefined)?.code
  const message = cause instanceof Error ? cause.message : String(cause)
  // pg's words when the server asks for a password and neither the URL, PGPASSWORD nor
  // ~/.pgpass gives one (libpq: "no password supplied").
  if (/client password must be a (?:non-empty )?string/.test(message)) {
    return new AuthenticationFailed({
      query,
      sqlState: "28P01",
      message,
      user: context.user,
      target: context.target,
      passwordGiven: false,
    })
  }
  if (typeof code === "string" && connectionCodes.has(code)) {
    return new ConnectionFailed({ query, target: context.target, code, message })
  }
  // TLS: the server offers none, or its certificate does not verify.
  if (/does not support SSL/i.test(message)) {
    return new ConnectionFailed({ query, target: context.target, code: "ENOTLS", message })
  }
  if (typeof code === "string" && tlsCodes.test(code)) {
    return new ConnectionFailed({ query, target: context.target, code, message })
  }
  if (/timeout expired|Connection terminated/i.test(message)) {
    return new ConnectionFailed({ query, target: context.target, code: "ETIMEDOUT", message })
  }
  return new QueryFailed({ query, sqlState: "XX000", message })
}

const transientTags = new Set<SqlError["_tag"]>([
  "LockNotAvailable",
  "DeadlockDetected",
  "SerializationFailure",
  "ConnectionFailed",
])

/** Errors that may succeed when tried again unchanged. */
export const isTransient = (error: SqlError): boolean => transientTags.has(error._tag)

/**
 * Retry policy for transient errors: exponential from 250 ms capped at 5 s, jittered,
 * at most `attempts` tries in all (Coder's migration policy: 5).
 */
export const transientRetry = (options?: {
  readonly attempts?: number
  readonly base?: Duration.Input
  readonly cap?: Duration.Input
}) => {
  const cap = options?.cap ?? "5 seconds"
  return Schedule.exponential(options?.base ?? "250 millis", 2).pipe(
    Schedule.modifyDelay(({ duration }) =>
      Effect.succeed(Duration.min(duration, Duration.fromInputUnsafe(cap))),
    ),
    Schedule.jittered,
    Schedule.upTo({ times: (options?.attempts ?? 5) - 1 }),
  )
}
