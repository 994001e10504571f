import type { PgServerError } from "@coderops/pg-server"
import * as Data from "effect/Data"

/** The embedded (or a private) PostgreSQL server could not be prepared, started or stopped. */
export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{
  readonly root: string
  /**
   * `private`: a server of the command's own in the temporary folder (a rehearsal's), not
   * the embedded server users reach between commands.
   */
  readonly server?: "embedded" | "private" | undefined
  readonly message: string
  readonly logFile?: string | undefined
  /** A directory coderops will not use as it is (it never changes a mode it did not set). */
  readonly unsafeDirectory?:
    | {
        readonly directory: string
        readonly mode: string
        /** The server's account cannot pass it, or others could replace files in it. */
        readonly problem: "not-enterable" | "writable-by-others"
        readonly account?: string | undefined
      }
    | undefined
  /** pg-server's account of the failure, when it was one of its errors (not an I/O error). */
  readonly reason?: PgServerError | undefined
}> {}
