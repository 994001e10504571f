import type { DbShape } from "@coderops/db-core"
import type { Statement } from "@coderops/migrations"
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

const catalogQuery = `SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name,
         c.relkind::text AS kind, c.relfilenode::int8 AS filenode, i.indrelid::int8 AS table_oid
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_index i ON i.indexrelid = c.oid
   WHERE c.relkind IN ('r', 'p', 'i', 'm')
     AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg_toast%'`

/** int8 columns come as strings from a query, as numbers from json_agg. */
interface CatalogRow {
  oid: string | number
  schema: string
  name: string
  kind: string
  filenode: string | number
  table_oid: string | number | null
}

const relationOf = (row: CatalogRow): Relation => ({
  oid: Number(row.oid),
  schema: row.schema,
  name: row.name,
  kind: row.kind,
  filenode: Number(row.filenode),
  tableOid: row.table_oid === null ? undefined : Number(row.table_oid),
})

/** Every user table, index and materialized view with its file node (a rewrite changes it). */
export const readCatalog = (db: DbShape) =>
  Effect.map(db.query<CatalogRow>("LintReadCatalog", catalogQuery), (rows) =>
    makeCatalog(rows.map(relationOf)),
  )

/**
 * In one round trip: the relation locks this session holds now, and `before` brought up
 * to date, reading only what can have changed: relations the session holds a lock on (a
 * rewrite, a rename or a drop takes ACCESS EXCLUSIVE) and relations newer than any in
 * `before` (oids are handed out in increasing order; a wraparound would only hide a new
 * relation from name lookups). A schema of thousands of relations is not read again for
 * every statement.
 */
export const readLocksAndCatalog = (db: DbShape, before: Catalog, refresh: boolean) =>
  Effect.map(
    db.query<{ locks: ReadonlyArray<{ oid: number; mode: string }>; relations: Array<CatalogRow> }>(
      "LintReadLocksAndCatalog",
      `WITH held AS (
         SELECT relation::int8 AS oid, mode FROM pg_locks
          WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
            AND relation >= 16384)
       SELECT (SELECT coalesce(json_agg(held), '[]') FROM held) AS locks,
              CASE WHEN $2 THEN (SELECT coalesce(json_agg(r), '[]') FROM (${catalogQuery}
                AND (c.oid > $1::bigint::oid OR c.oid::int8 IN (SELECT oid FROM held))) r)
              ELSE '[]' END AS relations`,
      [Math.max(0, ...before.byOid.keys()), refresh],
    ),
    ([row]) => {
      const locks: ReadonlyArray<HeldLock> = (row?.locks ?? []).map((l) => ({
        oid: Number(l.oid),
        mode: l.mode,
      }))
      if (!refresh) return { locks, catalog: before }
      const merged = new Map(before.byOid)
      for (const lock of locks) merged.delete(lock.oid)
      for (const relation of row?.relations ?? []) {
        merged.set(Number(relation.oid), relationOf(relation))
      }
      return { locks, catalog: makeCatalog([...merged.values()]) }
    },
  )

export interface HeldLock {
  readonly oid: number
  readonly mode: string
}

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

/** The locks in `now` that `held` did not have yet. */
export const newLocks = (held: ReadonlyArray<HeldLock>, now: ReadonlyArray<HeldLock>) => {
  const before = new Set(held.map((l) => `${l.oid}/${l.mode}`))
  return now.filter((l) => !before.has(`${l.oid}/${l.mode}`))
}

/** Statements that never create, drop or rewrite a relation: no need to read the catalog again. */
const catalogUnchanged = new Set([
  "AlterEnumStmt",
  "VariableSetStmt",
  "UpdateStmt",
  "DeleteStmt",
  "InsertStmt",
  "SelectStmt",
  "CommentStmt",
  "GrantStmt",
  "CreateEnumStmt",
  "CreateFunctionStmt",
])

export const changesCatalog = (statement: Statement) =>
  statement.tree === undefined || !catalogUnchanged.has(Object.keys(statement.tree)[0] ?? "")
