import * as Data from "effect/Data"

const octal = (mode: number) => mode.toString(8).padStart(4, "0")

/** A PostgreSQL program failed, or the server did not start or stop in time. */
export class ClusterError extends Data.TaggedError("ClusterError")<{
  readonly message: string
  /** The server log that tells why, when the server itself failed. */
  readonly logFile?: string | undefined
}> {}

interface NotEnterableFacts {
  /** What the server needs behind it: "data directory" or "PostgreSQL binaries". */
  readonly what: string
  readonly path: string
  readonly directory: string
  /** Its permission bits, e.g. 0o700. */
  readonly mode: number
  readonly account: string
}

/** A directory the server account cannot enter, on the way to what it needs. */
export class DirectoryNotEnterable extends Data.TaggedError("DirectoryNotEnterable")<
  NotEnterableFacts & { readonly message: string }
> {
  constructor(facts: NotEnterableFacts) {
    super({
      ...facts,
      message:
        `the ${facts.what} at ${facts.path} cannot be reached by the "${facts.account}" account that runs ` +
        `PostgreSQL: ${facts.directory} (mode ${octal(facts.mode)}) does not let it in`,
    })
  }
}

interface UnsafeFacts {
  /** What it would hold: "data directory" or "PostgreSQL binaries". */
  readonly what: string
  readonly directory: string
  /** Its permission bits, e.g. 0o777. */
  readonly mode: number
  readonly reason: string
}

/** A folder where others could replace or link the files coderops and the server write. */
export class UnsafeDirectory extends Data.TaggedError("UnsafeDirectory")<
  UnsafeFacts & { readonly message: string }
> {
  constructor(facts: UnsafeFacts) {
    super({
      ...facts,
      message: `${facts.directory} (mode ${octal(facts.mode)}) is not safe for the server's files: ${facts.reason}`,
    })
  }
}

/** Every error pg-server raises. */
export type PgServerError = ClusterError | DirectoryNotEnterable | UnsafeDirectory

/**
 * Whether a failure is one of a package's tagged errors, from the record of their tags (a
 * record, so that the compiler checks every tag of the union is listed). db-core builds
 * its guard with it too.
 */
export const tagGuard =
  <E extends { readonly _tag: string }>(tags: Readonly<Record<E["_tag"], true>>) =>
  (error: unknown): error is E => {
    const tag = (error as { _tag?: unknown } | null | undefined)?._tag
    return typeof tag === "string" && Object.hasOwn(tags, tag)
  }

/** Whether a failure is one of pg-server's errors (anything else is a bug or an I/O error). */
export const isPgServerError = tagGuard<PgServerError>({
  ClusterError: true,
  DirectoryNotEnterable: true,
  UnsafeDirectory: true,
})
