import { Db } from "@coderops/db-core"
import * as Effect from "effect/Effect"

/**
 * The schema as comparable lines, read from the catalogs (the embedded servers ship no
 * pg_dump): schemas, extensions, and the tables, columns, constraints, indexes, types,
 * sequences, views, functions and triggers of every user schema. Two databases with the same lines have the same schema.
 */
export const snapshotSchema = Effect.fn("SchemaSnapshot.take")(function* (options?: {
  readonly exclude?: ReadonlyArray<string>
}) {
  const db = yield* Db
  const rows = yield* db.query<{ line: string }>(
    "SnapshotSchema",
    `WITH ns AS (
       SELECT oid, nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
     ), rel AS (
       SELECT c.oid, c.relname, c.relkind, ns.nspname FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
        WHERE NOT (c.relname = ANY($1::text[]))
     )
     -- Every new database has public (and plpgsql): only what migrations add counts.
     SELECT 'schema ' || nspname AS line FROM ns WHERE nspname <> 'public'
     UNION ALL
     SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
     UNION ALL
     SELECT 'table ' || nspname || '.' || relname || ' ' || relkind::text FROM rel WHERE relkind IN ('r', 'p', 'v', 'm', 'f')
     UNION ALL
     SELECT 'column ' || rel.nspname || '.' || rel.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
            || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
            || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
       FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE rel.relkind IN ('r', 'p', 'v', 'm', 'f')
     UNION ALL
     SELECT 'constraint ' || rel.nspname || '.' || rel.relname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)
       FROM pg_constraint co JOIN rel ON rel.oid = co.conrelid
     UNION ALL
     SELECT 'index ' || pg_get_indexdef(i.indexrelid)
       FROM pg_index i JOIN rel ON rel.oid = i.indrelid
      WHERE NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.contype IN ('p', 'u', 'x'))
     UNION ALL
     SELECT 'sequence ' || nspname || '.' || relname FROM rel WHERE relkind = 'S'
     UNION ALL
     SELECT 'type ' || ns.nspname || '.' || t.typname || ' enum ('
            || (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) || ')'
       FROM pg_type t JOIN ns ON ns.oid = t.typnamespace WHERE t.typtype = 'e'
     UNION ALL
     SELECT 'type ' || ns.nspname || '.' || t.typname || ' ' || t.typtype::text || ' ' || coalesce(format_type(t.typbasetype, t.typtypmod), '')
       FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
      WHERE t.typtype IN ('d', 'r', 'm')
         OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
     UNION ALL
     SELECT 'view ' || nspname || '.' || relname || ' ' || pg_get_viewdef(oid, true) FROM rel WHERE relkind IN ('v', 'm')
     UNION ALL
     SELECT 'function ' || pg_get_functiondef(p.oid)
       FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace WHERE p.prokind IN ('f', 'p')
     UNION ALL
     SELECT 'trigger ' || pg_get_triggerdef(tg.oid) FROM pg_trigger tg JOIN rel ON rel.oid = tg.tgrelid WHERE NOT tg.tgisinternal
     ORDER BY 1`,
    [options?.exclude ?? []],
  )
  return rows.map((row) => row.line)
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
