import type { MigrationSet } from "./MigrationSource.js"
import { isApplied } from "./MigrationState.js"
import type { HistoryEntry, MigrationVersion } from "./SchemaMigrations.js"

export interface MigrationStatus {
  readonly table: string
  readonly version: number | undefined
  readonly dirty: boolean
  readonly latest: number | undefined
  readonly migrations: ReadonlyArray<{
    readonly version: number
    readonly name: string
    readonly applied: boolean
    /** The file changed since it was applied (checksum differs from the history). */
    readonly drift: boolean
    /** When it finished, ISO 8601 UTC. */
    readonly appliedAt: string | undefined
    /** How long it took, in seconds (from coderops_migration_history). */
    readonly seconds: number | undefined
  }>
  readonly pending: number
}

/** Which migrations of the directory are applied, with their history and drift. */
export const migrationStatus = (
  source: MigrationSet,
  table: string,
  version: MigrationVersion | undefined,
  history: ReadonlyMap<number, HistoryEntry>,
): MigrationStatus => {
  const migrations = source.migrations.map((m) => {
    const applied = isApplied(version, m.version)
    const entry = applied ? history.get(m.version) : undefined
    return {
      version: m.version,
      name: m.up.name,
      applied,
      drift: entry !== undefined && entry.checksum !== m.up.checksum,
      appliedAt: entry?.finishedAt,
      seconds: entry === undefined ? undefined : entry.durationMs / 1000,
    }
  })
  return {
    table,
    version: version?.version,
    dirty: version?.dirty ?? false,
    latest: source.migrations.at(-1)?.version,
    migrations,
    pending: migrations.filter((m) => !m.applied).length,
  }
}
