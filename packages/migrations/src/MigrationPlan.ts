import * as Result from "effect/Result"
import { DatabaseDirty, InvalidMigrationRequest } from "./MigrationErrors.js"
import type { MigrationFile, MigrationSet } from "./MigrationSource.js"
import { printable } from "./printable.js"
import type { Direction, MigrationVersion } from "./SchemaMigrations.js"

export interface PlannedStep {
  readonly version: number
  readonly direction: Direction
  readonly name: string
  /** The version recorded once the step is done; undefined = no version. */
  readonly resultingVersion: number | undefined
  readonly noTransaction: boolean
}

/**
 * The steps from one database version to another over a migration directory: pure, so
 * it is tested without a database. The migrator plans under the migration lock, from
 * the version it has just read, so the plan is what runs.
 */
export const makeMigrationPlan = (source: MigrationSet) => {
  const byVersion = new Map(source.migrations.map((m) => [m.version, m]))
  const versions = source.migrations.map((m) => m.version)
  /** The version before `version` in the directory; undefined for the first. */
  const previousOf = (version: number): number | undefined =>
    versions[versions.indexOf(version) - 1]

  /** The file a step runs. */
  const fileOf = (step: Pick<PlannedStep, "version" | "direction">): MigrationFile => {
    const migration = byVersion.get(step.version)!
    return step.direction === "up" ? migration.up : migration.down
  }

  /** The next `limit` migrations after `from` (all of them by default). */
  const up = (from: number | undefined, limit?: number): ReadonlyArray<PlannedStep> =>
    source.migrations
      .filter((m) => from === undefined || m.version > from)
      .slice(0, limit ?? Number.POSITIVE_INFINITY)
      .map((m) => ({
        version: m.version,
        direction: "up",
        name: m.up.name,
        resultingVersion: m.version,
        noTransaction: m.up.noTransaction,
      }))

  /** The down steps of the last `limit` migrations applied, newest first. */
  const down = (from: number | undefined, limit: number): ReadonlyArray<PlannedStep> => {
    if (from === undefined) return []
    const index = versions.indexOf(from)
    return versions
      .slice(0, index + 1)
      .reverse()
      .slice(0, limit)
      .map((version) => {
        const migration = byVersion.get(version)!
        return {
          version,
          direction: "down",
          name: migration.down.name,
          resultingVersion: previousOf(version),
          noTransaction: migration.down.noTransaction,
        }
      })
  }

  /** Up or down to `target`, which must be a version of the directory. */
  const goto = (
    from: number | undefined,
    target: number,
  ): Result.Result<ReadonlyArray<PlannedStep>, InvalidMigrationRequest> =>
    !byVersion.has(target)
      ? Result.fail(
          new InvalidMigrationRequest({
            reason: "unknown-target",
            dir: source.dir,
            version: target,
            choices: versions.slice(-5),
            moreChoices: versions.length > 5,
            message: `version ${target} is not in ${printable(source.dir)}`,
          }),
        )
      : Result.succeed(
          from === undefined || target > from
            ? up(from).filter((s) => s.version <= target)
            : down(from, Number.POSITIVE_INFINITY).filter((s) => s.version > target),
        )

  /** A dirty database is refused: a migration failed part-way, for a human to repair. */
  const dirtyError = (state: MigrationVersion | undefined): DatabaseDirty | undefined => {
    if (!state?.dirty) return undefined
    // -1 is golang-migrate's dirty "no version": the down of the first migration failed.
    if (state.version === -1)
      return new DatabaseDirty({
        version: -1,
        versionIfCompleted: -1,
        versionIfNotCompleted: versions[0],
        message: `the database is dirty with no version: the down migration of ${versions[0] ?? "<first version>"} failed part-way, and nothing will run until a human looks`,
      })
    return new DatabaseDirty({
      version: state.version,
      versionIfCompleted: state.version,
      versionIfNotCompleted: previousOf(state.version) ?? -1,
      message: `the database is dirty at version ${state.version}: a migration failed part-way and nothing will run until a human looks`,
    })
  }

  /** A database at a version the directory lacks came from a newer (or other) directory. */
  const unknownVersionError = (version: number | undefined) =>
    version === undefined || byVersion.has(version)
      ? undefined
      : new InvalidMigrationRequest({
          reason: "unknown-database-version",
          dir: source.dir,
          version,
          message: `the database is at version ${version}, which is not in ${printable(source.dir)}`,
        })

  /** `force` takes a version of the directory, or -1 for none. */
  const forceError = (version: number) =>
    version === -1 || byVersion.has(version)
      ? undefined
      : new InvalidMigrationRequest({
          reason: "unknown-force-target",
          dir: source.dir,
          version,
          message: `version ${version} is not in ${printable(source.dir)}`,
        })

  return {
    versions,
    has: (version: number) => byVersion.has(version),
    previousOf,
    fileOf,
    up,
    down,
    goto,
    dirtyError,
    unknownVersionError,
    forceError,
  }
}

export type MigrationPlan = ReturnType<typeof makeMigrationPlan>
