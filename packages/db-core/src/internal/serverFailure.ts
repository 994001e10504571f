import { isPgServerError } from "@coderops/pg-server"
import { EmbeddedPostgresError } from "../EmbeddedPostgresError.js"

/** The error for a failure in `root`, with the facts a person needs to act on it. */
export const serverFailure = (
  root: string,
  action: string,
  cause: unknown,
  server: "embedded" | "private" = "embedded",
) => {
  const reason = isPgServerError(cause) ? cause : undefined
  return new EmbeddedPostgresError({
    root,
    server,
    message: `${action}: ${(cause as Error).message}`,
    logFile: reason?._tag === "ClusterError" ? reason.logFile : undefined,
    unsafeDirectory:
      reason?._tag === "DirectoryNotEnterable" || reason?._tag === "UnsafeDirectory"
        ? {
            directory: reason.directory,
            mode: reason.mode.toString(8).padStart(4, "0"),
            ...(reason._tag === "DirectoryNotEnterable"
              ? { problem: "not-enterable", account: reason.account }
              : { problem: "writable-by-others" }),
          }
        : undefined,
    reason,
  })
}
