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
    const time = date.toISOString().slice(11, 23)
    process.stderr.write(
      `${redact(`[${time}] ${logLevel.toUpperCase()} (#${fiber.id}): ${parts.join(" ")}`)}\n`,
    )
  })
