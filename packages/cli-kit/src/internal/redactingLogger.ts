import { inspect } from "node:util"
import * as Cause from "effect/Cause"
import * as Logger from "effect/Logger"

/**
 * Effect's log line (time, level, fiber, message, cause) on stderr, passed through
 * `redact` first: a logged cause may quote whatever a driver or a user wrote.
 */
export const redactingLogger = (redact: (text: string) => string) =>
  Logger.make(({ message, cause, logLevel, date, fiber }) => {
    const parts = (Array.isArray(message) ? message : [message]).map((part) =>
      typeof part === "string" ? part : inspect(part),
    )
    if (cause.reasons.length > 0) parts.push(Cause.pretty(cause))
    // ISO 8601 UTC, as every timestamp coderops prints (README, "JSON output").
    process.stderr.write(
      `${redact(`[${date.toISOString()}] ${logLevel.toUpperCase()} (#${fiber.id}): ${parts.join(" ")}`)}\n`,
    )
  })
