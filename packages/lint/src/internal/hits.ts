import type { Statement } from "@coderops/migrations"
import type { Rule, Work } from "../Rules.js"
import type { Catalog, Relation } from "./catalog.js"

/** A rule that fired on a statement, before sizing and suppression. */
export interface Hit {
  readonly rule: Rule
  readonly statement: Statement
  /** The table it is about (by its scratch name), if any. */
  readonly table: string | undefined
  /** The message, given the table's label (its name, with rows and size once known). */
  readonly message: (table: string) => string
  readonly locks: ReadonlyArray<{ readonly relation: string; readonly mode: string }>
  /** Overrides the rule's work (exclusive-lock-then-work takes the work of the statement). */
  readonly work?: Work | undefined
  readonly passes?: number | undefined
  /**
   * An UPDATE or DELETE with a WHERE: it stays a finding only if the real database's
   * planner estimates that it touches most rows of the table.
   */
  readonly filtered?: boolean | undefined
}

/** What one migration has done so far, for the rules that look across its statements. */
export interface MigrationState {
  /** The schema when the migration started: a relation not in it is new in this migration. */
  readonly start: Catalog
  readonly transactional: boolean
  /** Full passes (rewrite or UPDATE without WHERE) over each existing table, in order. */
  readonly passes: Map<string, Array<Statement>>
  /** The first ACCESS EXCLUSIVE lock taken on an existing table, and where. */
  exclusive: { readonly table: string; readonly line: number } | undefined
  lockTimeout: boolean
  noLockTimeoutReported: boolean
  /** Enum values added in this (transactional) migration. */
  readonly addedValues: Set<string>
  /** A DELETE of expired API keys ran earlier in the migration. */
  purgedApiKeys: boolean
  purgeReported: boolean
}

export const newMigrationState = (start: Catalog, transactional: boolean): MigrationState => ({
  start,
  transactional,
  passes: new Map(),
  exclusive: undefined,
  lockTimeout: false,
  noLockTimeoutReported: false,
  addedValues: new Set(),
  purgedApiKeys: false,
  purgeReported: false,
})

/** The table a statement is about, and whether it existed when the migration started. */
export interface Target {
  readonly relation: Relation
  readonly existing: boolean
}

export const targetOf = (
  state: MigrationState,
  before: Catalog,
  name: { readonly schema: string | undefined; readonly name: string } | undefined,
): Target | undefined => {
  if (name === undefined) return undefined
  const relation = before.find(name.schema, name.name)
  if (relation === undefined) return undefined
  return { relation, existing: state.start.byOid.has(relation.oid) }
}

/** The table of an index (for an index), or the relation itself. */
export const tableOf = (catalog: Catalog, relation: Relation): Relation =>
  relation.tableOid === undefined ? relation : (catalog.byOid.get(relation.tableOid) ?? relation)

export const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`
