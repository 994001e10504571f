import type { DbShape } from "@coderops/db-core"
import * as Effect from "effect/Effect"

/** A table or index of the scratch schema at one moment. */
export interface Relation {
  readonly oid: number
  readonly schema: string
  readonly name: string
  /** r, p (tables), i (index), m (materialized view). */
  readonly kind: string
  readonly filenode: number
  /** For an index: its table's oid. */
  readonly tableOid: number | undefined
}

export interface Catalog {
  readonly byOid: ReadonlyMap<number, Relation>
  /** Search path order is not modelled: an unqualified name finds the public one first. */
  readonly find: (schema: string | undefined, name: string) => Relation | undefined
}

const makeCatalog = (relations: ReadonlyArray<Relation>): Catalog => {
  const byOid = new Map(relations.map((r) => [r.oid, r]))
  const byName = new Map<string, Array<Relation>>()
  for (const r of relations) {
    const list = byName.get(r.name) ?? []
    list.push(r)
    byName.set(r.name, list)
  }
  return {
    byOid,
    find: (schema, name) => {
      const candidates = byName.get(name) ?? []
      if (schema !== undefined) return candidates.find((r) => r.schema === schema)
      return candidates.find((r) => r.schema === "public") ?? candidates[0]
    },
  }
}

/** Every user table, index and materialized view with its file node (a rewrite changes it). */
export const readCatalog = (db: DbShape) =>
  Effect.map(
    db.query<{
      oid: string
      schema: string
      name: string
      kind: string
      filenode: string
      table_oid: string | null
    }>(
      "LintReadCatalog",
      `SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
              c.relfilenode::int8 AS filenode, i.indrelid::int8 AS table_oid
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_index i ON i.indexrelid = c.oid
        WHERE c.relkind IN ('r', 'p', 'i', 'm')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%'`,
    ),
    (rows) =>
      makeCatalog(
        rows.map((row) => ({
          oid: Number(row.oid),
          schema: row.schema,
          name: row.name,
          kind: row.kind,
          filenode: Number(row.filenode),
          tableOid: row.table_oid === null ? undefined : Number(row.table_oid),
        })),
      ),
  )

export interface HeldLock {
  readonly oid: number
  readonly mode: string
}

/** The relation locks this session holds now (user relations only: oids from 16384). */
export const readOwnLocks = (db: DbShape) =>
  Effect.map(
    db.query<{ oid: string; mode: string }>(
      "LintReadOwnLocks",
      `SELECT relation::int8 AS oid, mode FROM pg_locks
        WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
          AND relation >= 16384`,
    ),
    (rows): ReadonlyArray<HeldLock> =>
      rows.map((row) => ({ oid: Number(row.oid), mode: row.mode })),
  )

const lockStrength = [
  "AccessShareLock",
  "RowShareLock",
  "RowExclusiveLock",
  "ShareUpdateExclusiveLock",
  "ShareLock",
  "ShareRowExclusiveLock",
  "ExclusiveLock",
  "AccessExclusiveLock",
]

/** The strongest of the modes (by PostgreSQL's lock table order). */
export const strongest = (modes: ReadonlyArray<string>): string | undefined =>
  modes.reduce<string | undefined>(
    (best, mode) =>
      best === undefined || lockStrength.indexOf(mode) > lockStrength.indexOf(best) ? mode : best,
    undefined,
  )

/** What tracing one statement saw. */
export interface Trace {
  /** Locks taken by this statement (not held before it), by relation oid. */
  readonly locks: ReadonlyArray<HeldLock>
  /** Relations (existing before the statement) whose file node changed: rewritten. */
  readonly rewritten: ReadonlyArray<Relation>
  /** The statement failed on the scratch schema (SQLSTATE and message). */
  readonly failed: { readonly code: string | undefined; readonly message: string } | undefined
}

/** Relations of `before` that still exist in `after` under another file node. */
export const rewrittenBetween = (before: Catalog, after: Catalog): ReadonlyArray<Relation> => {
  const changed: Array<Relation> = []
  for (const [oid, relation] of before.byOid) {
    const now = after.byOid.get(oid)
    if (now !== undefined && now.filenode !== relation.filenode) changed.push(relation)
  }
  return changed
}
