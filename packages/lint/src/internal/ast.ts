import type { ColumnDef, Node, RangeVar, TypeName } from "libpg-query"

/** A relation a statement names: schema (if qualified) and name. */
export interface RelationName {
  readonly schema: string | undefined
  readonly name: string
}

export const relationName = (range: RangeVar | undefined): RelationName | undefined =>
  range?.relname === undefined ? undefined : { schema: range.schemaname, name: range.relname }

/** The names of a qualified name list (`DROP INDEX s.i`, `ALTER TYPE s.t`). */
export const listNames = (node: Node | undefined): ReadonlyArray<string> => {
  if (node === undefined) return []
  const items = "List" in node ? (node.List.items ?? []) : [node]
  return items.flatMap((item) => ("String" in item ? [item.String.sval ?? ""] : []))
}

/** A qualified name list as a relation name. */
export const qualified = (names: ReadonlyArray<string>): RelationName | undefined =>
  names.length === 0
    ? undefined
    : { schema: names.length > 1 ? names.at(-2) : undefined, name: names.at(-1)! }

/** Every string constant anywhere in the tree ('x', 'x'::type). */
export const stringConstants = (tree: unknown): ReadonlyArray<string> => {
  const found: Array<string> = []
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item)
      return
    }
    if (value === null || typeof value !== "object") return
    for (const [key, child] of Object.entries(value)) {
      if (key === "A_Const") {
        const sval = (child as { sval?: { sval?: string } }).sval?.sval
        if (sval !== undefined) found.push(sval)
      } else visit(child)
    }
  }
  visit(tree)
  return found
}

/** The last name of a type (`pg_catalog.int8` → int8) and its modifiers given. */
export const typeOf = (type: TypeName | undefined) => {
  const names = (type?.names ?? []).flatMap((n) => ("String" in n ? [n.String.sval ?? ""] : []))
  return { name: names.at(-1) ?? "", hasModifiers: (type?.typmods ?? []).length > 0 }
}

/** The column definitions a statement creates (CREATE TABLE, ADD COLUMN, ALTER COLUMN TYPE). */
export const columnDefinitions = (node: Node | undefined): ReadonlyArray<ColumnDef> => {
  if (node === undefined) return []
  if ("CreateStmt" in node) {
    return (node.CreateStmt.tableElts ?? []).flatMap((e) => ("ColumnDef" in e ? [e.ColumnDef] : []))
  }
  if ("AlterTableStmt" in node) {
    return (node.AlterTableStmt.cmds ?? []).flatMap((c) => {
      if (!("AlterTableCmd" in c)) return []
      const def = c.AlterTableCmd.def
      return def !== undefined && "ColumnDef" in def ? [def.ColumnDef] : []
    })
  }
  return []
}

/** Whether a DELETE's WHERE is `expires_at < ...`: the predicate of the API key purge. */
export const isExpiryPredicate = (where: Node | undefined): boolean => {
  if (where === undefined || !("A_Expr" in where)) return false
  const expr = where.A_Expr
  const op = (expr.name ?? []).flatMap((n) => ("String" in n ? [n.String.sval] : []))[0]
  const left = expr.lexpr
  if (left === undefined || !("ColumnRef" in left)) return false
  const column = (left.ColumnRef.fields ?? [])
    .flatMap((f) => ("String" in f ? [f.String.sval] : []))
    .at(-1)
  return column === "expires_at" && (op === "<" || op === "<=")
}

/** A statement's option list holds `name` (VACUUM (FULL), REINDEX (CONCURRENTLY)). */
export const hasOption = (options: ReadonlyArray<Node> | undefined, name: string): boolean =>
  (options ?? []).some((o) => "DefElem" in o && o.DefElem.defname === name)
