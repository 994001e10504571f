import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { describeTarget } from "./DatabaseConfig.js"
import { Db } from "./Db.js"

/** Coder supports PostgreSQL 13 and later; so does this toolkit. */
export const minimumServerVersionNum = 130000

export interface ServerVersion {
  /** `server_version_num`, e.g. 170006. */
  readonly num: number
  /** `server_version`, e.g. "17.6". */
  readonly text: string
  readonly major: number
}

export class UnsupportedServerVersion extends Data.TaggedError("UnsupportedServerVersion")<{
  readonly version: string
  readonly target: string
  readonly message: string
}> {}

export const parseVersionNum = (num: number, text: string): ServerVersion => ({
  num,
  text,
  major: Math.floor(num / 10000),
})

/** Reads the server's version; no parameters, so it also works through poolers. */
export const serverVersion = Effect.fn("ServerVersion.read")(function* () {
  const db = yield* Db
  const rows = yield* db.query<{ num: number; text: string }>(
    "GetServerVersion",
    "SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS text",
  )
  const row = rows[0]!
  return parseVersionNum(row.num, row.text)
})

/** The server's version, or UnsupportedServerVersion when it is older than 13. */
export const requireSupportedServer = Effect.fn("ServerVersion.require")(function* () {
  const db = yield* Db
  const version = yield* serverVersion()
  if (version.num < minimumServerVersionNum) {
    return yield* new UnsupportedServerVersion({
      version: version.text,
      target: describeTarget(db.settings),
      message: `PostgreSQL ${version.text} at ${describeTarget(db.settings)} is older than 13, the oldest version Coder and coderops support`,
    })
  }
  return version
})
