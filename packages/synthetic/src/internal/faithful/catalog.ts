// The structure of the tables to fill, read from the target database's catalogs: what each
// column is, and the keys and checks the generated rows must satisfy.
import { Db } from "@coderops/db-core"
import * as Effect from "effect/Effect"

export interface ColumnInfo {
  readonly name: string
  /** The type's name, through domains (`timestamptz`, `uuid`, `_text` for text[]). */
  readonly type: string
  /** pg_type.typcategory: N numeric, S string, D date/time, A array, E enum, ... */
  readonly category: string
  readonly notNull: boolean
  readonly hasDefault: boolean
  /** A generated column: COPY cannot write it. */
  readonly generated: boolean
  /** The labels of an enum (or of an array's enum element), in order. */
  readonly enumLabels: ReadonlyArray<string> | null
  /** varchar(n)/char(n): n. */
  readonly maxLength: number | null
}

export interface UniqueIndex {
  readonly name: string
  /** The columns it covers (those its expressions read included). */
  readonly columns: ReadonlyArray<string>
  /** WHERE of a partial index, as the catalogs render it. */
  readonly predicate: string | null
}

export interface ForeignKey {
  readonly name: string
  readonly table: string
  readonly columns: ReadonlyArray<string>
  readonly parent: string
  readonly parentColumns: ReadonlyArray<string>
}

export interface TableInfo {
  readonly table: string
  readonly columns: ReadonlyArray<ColumnInfo>
  readonly uniques: ReadonlyArray<UniqueIndex>
  readonly foreignKeys: ReadonlyArray<ForeignKey>
  /** Check constraints: name and `CHECK (...)` definition. */
  readonly checks: ReadonlyArray<{ readonly name: string; readonly definition: string }>
}

/** Every foreign key between tables of the current schema. */
export const foreignKeys = Effect.fn("FaithfulCatalog.foreignKeys")(function* () {
  const db = yield* Db
  return yield* db.query<ForeignKey>(
    "GetFaithfulForeignKeys",
    `SELECT co.conname::text AS name, c.relname::text AS "table", p.relname::text AS parent,
            ARRAY(SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY k(n, o)
                    JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.n ORDER BY k.o) AS columns,
            ARRAY(SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY k(n, o)
                    JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.n ORDER BY k.o) AS "parentColumns"
       FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_class p ON p.oid = co.confrelid
      WHERE co.contype = 'f' AND c.relnamespace = current_schema()::regnamespace
        AND p.relnamespace = current_schema()::regnamespace
      ORDER BY 2, 1`,
  )
})

/**
 * The tables and every table their foreign keys reach, parents before children. A
 * foreign key that closes a cycle (a table referring to itself, or round a loop) is left
 * out of the order; its column is left NULL.
 */
export const tablesWithParents = Effect.fn("FaithfulCatalog.tablesWithParents")(function* (
  tables: ReadonlyArray<string>,
  /** The schema's foreign keys, when the caller has read them already. */
  known?: ReadonlyArray<ForeignKey>,
) {
  const keys = known ?? (yield* foreignKeys())
  const ordered: Array<string> = []
  const state = new Map<string, "visiting" | "done">()
  const visit = (table: string) => {
    if (state.has(table)) return
    state.set(table, "visiting")
    for (const key of keys)
      if (key.table === table && state.get(key.parent) !== "visiting") visit(key.parent)
    state.set(table, "done")
    ordered.push(table)
  }
  for (const table of tables) visit(table)
  return ordered
})

interface ColumnRow extends ColumnInfo {
  readonly table: string
}

/** Columns, unique indexes, foreign keys and checks of the tables, from the catalogs. */
export const readCatalog = Effect.fn("FaithfulCatalog.read")(function* (
  tables: ReadonlyArray<string>,
  /** The schema's foreign keys, when the caller has read them already. */
  known?: ReadonlyArray<ForeignKey>,
) {
  const db = yield* Db
  const columns = yield* db.query<ColumnRow>(
    "GetFaithfulColumns",
    `SELECT c.relname::text AS "table", a.attname::text AS name, bt.typname::text AS type,
            bt.typcategory::text AS category, a.attnotnull AS "notNull", a.atthasdef AS "hasDefault",
            a.attgenerated <> '' AS generated,
            ARRAY(SELECT e.enumlabel::text FROM pg_enum e
                   WHERE e.enumtypid = CASE WHEN bt.typcategory = 'A' THEN bt.typelem ELSE bt.oid END
                   ORDER BY e.enumsortorder) AS "enumLabels",
            CASE WHEN bt.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 END AS "maxLength"
       FROM pg_class c
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1::text[])
      ORDER BY c.relname, a.attnum`,
    [tables],
  )
  const uniques = yield* db.query<UniqueIndex & { table: string }>(
    "GetFaithfulUniqueIndexes",
    `SELECT c.relname::text AS "table", ic.relname::text AS name,
            ARRAY(SELECT a.attname::text FROM pg_attribute a
                   WHERE a.attrelid = i.indrelid AND a.attnum > 0 AND NOT a.attisdropped
                     AND (a.attnum = ANY(i.indkey)
                          -- The name as the expression spells it (quote_ident), every
                          -- character that is not a letter, digit or _ escaped for the regex.
                          OR pg_get_expr(i.indexprs, i.indrelid) ~ ('(^|[^[:alnum:]_$"])'
                               || regexp_replace(quote_ident(a.attname), '([^[:alnum:]_])', '\\\\\\1', 'g')
                               || '($|[^[:alnum:]_$"])'))
                   ORDER BY a.attnum) AS columns,
            pg_get_expr(i.indpred, i.indrelid) AS predicate
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indisunique AND c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1::text[])
      ORDER BY 1, 2`,
    [tables],
  )
  const checks = yield* db.query<{ table: string; name: string; definition: string }>(
    "GetFaithfulChecks",
    `SELECT c.relname::text AS "table", co.conname::text AS name, pg_get_constraintdef(co.oid) AS definition
       FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid
      WHERE co.contype = 'c' AND c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1::text[])
      ORDER BY 1, 2`,
    [tables],
  )
  const keys = known ?? (yield* foreignKeys())
  return tables.map(
    (table): TableInfo => ({
      table,
      columns: columns
        .filter((column) => column.table === table)
        .map(({ table: _, ...column }) => ({
          ...column,
          enumLabels: column.enumLabels && column.enumLabels.length > 0 ? column.enumLabels : null,
        })),
      uniques: uniques.filter((u) => u.table === table).map(({ table: _, ...u }) => u),
      foreignKeys: keys.filter((key) => key.table === table),
      checks: checks.filter((c) => c.table === table).map(({ table: _, ...c }) => c),
    }),
  )
})
