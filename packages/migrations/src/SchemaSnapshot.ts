import { Db } from "@coderops/db-core"
import * as Effect from "effect/Effect"

/** The kinds of schema object a snapshot holds. */
export type SchemaObjectKind =
  | "schema"
  | "extension"
  | "table"
  | "column"
  | "constraint"
  | "index"
  | "sequence"
  | "type"
  | "view"
  | "function"
  | "trigger"

/**
 * One object of a schema: what it is, the name that identifies it (qualified: a column is
 * `schema.table.column`, an index `schema.index`), and its definition as the catalogs
 * render it (a column's type, NOT NULL and default; an index's CREATE INDEX; an enum's
 * values in order).
 */
export interface SchemaObject {
  readonly kind: SchemaObjectKind
  readonly name: string
  readonly definition: string
}

/**
 * The schema as objects, read from the catalogs (the embedded servers ship no pg_dump):
 * schemas, extensions, and the tables, columns, constraints, indexes, types, sequences,
 * views, functions and triggers of every user schema, ordered by kind and name.
 */
export const catalogSnapshot = Effect.fn("SchemaSnapshot.catalog")(function* (options?: {
  readonly exclude?: ReadonlyArray<string>
}) {
  const db = yield* Db
  return yield* db.query<SchemaObject>(
    "SnapshotSchema",
    `WITH ns AS (
       SELECT oid, nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
     ), rel AS (
       SELECT c.oid, c.relname, c.relkind, ns.nspname, ns.nspname || '.' || c.relname AS qname
         FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
        WHERE NOT (c.relname = ANY($1::text[]))
     ), objects (kind, name, definition) AS (
     -- Every new database has public (and plpgsql): only what migrations add counts.
     SELECT 'schema'::text, nspname::text, nspname::text FROM ns WHERE nspname <> 'public'
     UNION ALL
     SELECT 'extension', extname, extname FROM pg_extension WHERE extname <> 'plpgsql'
     UNION ALL
     SELECT 'table', qname, qname || ' ' || relkind::text FROM rel WHERE relkind IN ('r', 'p', 'v', 'm', 'f')
     UNION ALL
     SELECT 'column', rel.qname || '.' || a.attname,
            rel.qname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
            || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
            || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
       FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE rel.relkind IN ('r', 'p', 'v', 'm', 'f')
     UNION ALL
     SELECT 'constraint', rel.qname || '.' || co.conname, rel.qname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)
       FROM pg_constraint co JOIN rel ON rel.oid = co.conrelid
     UNION ALL
     SELECT 'index', ix.nspname || '.' || ix.relname, pg_get_indexdef(i.indexrelid)
       FROM pg_index i JOIN rel ON rel.oid = i.indrelid JOIN rel ix ON ix.oid = i.indexrelid
      WHERE NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.contype IN ('p', 'u', 'x'))
     UNION ALL
     SELECT 'sequence', qname, qname FROM rel WHERE relkind = 'S'
     UNION ALL
     SELECT 'type', ns.nspname || '.' || t.typname, ns.nspname || '.' || t.typname || ' enum ('
            || (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) || ')'
       FROM pg_type t JOIN ns ON ns.oid = t.typnamespace WHERE t.typtype = 'e'
     UNION ALL
     SELECT 'type', ns.nspname || '.' || t.typname,
            ns.nspname || '.' || t.typname || ' ' || t.typtype::text || ' ' || coalesce(format_type(t.typbasetype, t.typtypmod), '')
       FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
      WHERE t.typtype IN ('d', 'r', 'm')
         OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
     UNION ALL
     SELECT 'view', qname, qname || ' ' || pg_get_viewdef(oid, true) FROM rel WHERE relkind IN ('v', 'm')
     UNION ALL
     SELECT 'function', p.oid::regprocedure::text, pg_get_functiondef(p.oid)
       FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace WHERE p.prokind IN ('f', 'p')
     UNION ALL
     SELECT 'trigger', rel.qname || '.' || tg.tgname, pg_get_triggerdef(tg.oid)
       FROM pg_trigger tg JOIN rel ON rel.oid = tg.tgrelid WHERE NOT tg.tgisinternal
     )
     SELECT kind, name, definition FROM objects ORDER BY kind, name, definition`,
    [options?.exclude ?? []],
  )
})

/**
 * The schema as comparable lines (`kind definition`): two databases with the same lines
 * have the same schema.
 */
export const snapshotSchema = Effect.fn("SchemaSnapshot.take")(function* (options?: {
  readonly exclude?: ReadonlyArray<string>
}) {
  const objects = yield* catalogSnapshot(options)
  return objects.map((object) => `${object.kind} ${object.definition}`).sort()
})

/** Lines only in `before` (missing after) and only in `after` (added), for a readable diff. */
export const diffSnapshots = (before: ReadonlyArray<string>, after: ReadonlyArray<string>) => {
  const a = new Set(before)
  const b = new Set(after)
  return {
    missing: before.filter((line) => !b.has(line)),
    added: after.filter((line) => !a.has(line)),
  }
}

/** An object both schemas have, defined differently. */
export interface ChangedSchemaObject {
  readonly kind: SchemaObjectKind
  readonly name: string
  readonly expected: string
  readonly actual: string
}

/** How one schema differs from the one expected (drift), object by object. */
export interface SchemaDrift {
  /** In the expected schema, not in the actual one. */
  readonly missing: ReadonlyArray<SchemaObject>
  /** In the actual schema, not in the expected one. */
  readonly extra: ReadonlyArray<SchemaObject>
  readonly changed: ReadonlyArray<ChangedSchemaObject>
}

const keyOf = (object: SchemaObject) => `${object.kind} ${object.name}`

/**
 * Compares two catalog snapshots by object (kind and name): what `actual` lacks, what it
 * has besides, and what it defines differently. Empty lists: the same schema.
 */
export const compareSnapshots = (
  expected: ReadonlyArray<SchemaObject>,
  actual: ReadonlyArray<SchemaObject>,
): SchemaDrift => {
  const actualByKey = new Map(actual.map((object) => [keyOf(object), object]))
  const expectedKeys = new Set(expected.map(keyOf))
  const changed: Array<ChangedSchemaObject> = []
  const missing: Array<SchemaObject> = []
  for (const object of expected) {
    const other = actualByKey.get(keyOf(object))
    if (other === undefined) missing.push(object)
    else if (other.definition !== object.definition)
      changed.push({
        kind: object.kind,
        name: object.name,
        expected: object.definition,
        actual: other.definition,
      })
  }
  return { missing, extra: actual.filter((object) => !expectedKeys.has(keyOf(object))), changed }
}
