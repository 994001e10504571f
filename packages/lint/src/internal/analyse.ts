import type { Statement } from "@coderops/migrations"
import type { AlterTableCmd, Node } from "libpg-query"
import { type Rule, rules } from "../Rules.js"
import {
  columnDefinitions,
  hasOption,
  isExpiryPredicate,
  listNames,
  qualified,
  relationName,
  stringConstants,
  typeOf,
} from "./ast.js"
import type { Catalog, Trace } from "./catalog.js"
import { type Hit, type MigrationState, type Target, tableOf, targetOf } from "./hits.js"

/** What the rules of one statement see. */
interface Seen {
  readonly statement: Statement
  readonly node: Node
  readonly state: MigrationState
  readonly before: Catalog
  readonly after: Catalog
  readonly trace: Trace
  readonly locks: Hit["locks"]
  readonly hits: Array<Hit>
}

const hit = (
  seen: Seen,
  rule: Rule,
  table: string | undefined,
  message: (label: string) => string,
  extra: Partial<Pick<Hit, "work" | "passes" | "filtered">> = {},
) => {
  seen.hits.push({ rule, statement: seen.statement, table, message, locks: seen.locks, ...extra })
}

const isApiKeys = (target: Target) => target.relation.name === "api_keys"

/** A full pass over an existing table: counted for table-rewritten-twice and the purge rule. */
const pass = (seen: Seen, target: Target, what: string) => {
  const name = target.relation.name
  const passes = seen.state.passes.get(name) ?? []
  passes.push(seen.statement)
  seen.state.passes.set(name, passes)
  if (isApiKeys(target) && !seen.state.purgedApiKeys && !seen.state.purgeReported) {
    seen.state.purgeReported = true
    hit(
      seen,
      rules.purgeFirst,
      name,
      (label) => `${what} ${label} with its expired keys, which no purge removed first`,
    )
  }
}

const dml = (seen: Seen) => {
  const { node } = seen
  if ("UpdateStmt" in node) {
    const target = targetOf(seen.state, seen.before, relationName(node.UpdateStmt.relation))
    if (target?.existing !== true) return
    if (node.UpdateStmt.whereClause !== undefined) {
      hit(seen, rules.unbatchedDml, target.relation.name, (l) => `UPDATE of most rows of ${l}`, {
        filtered: true,
      })
      return
    }
    hit(seen, rules.unbatchedDml, target.relation.name, (l) => `UPDATE of every row of ${l}`)
    pass(seen, target, "this UPDATE rewrites every row of")
  } else if ("DeleteStmt" in node) {
    const del = node.DeleteStmt
    const target = targetOf(seen.state, seen.before, relationName(del.relation))
    if (target?.existing !== true) return
    if (isApiKeys(target) && isExpiryPredicate(del.whereClause)) seen.state.purgedApiKeys = true
    if (del.whereClause !== undefined) {
      hit(seen, rules.unbatchedDml, target.relation.name, (l) => `DELETE of most rows of ${l}`, {
        work: "delete",
        filtered: true,
      })
      return
    }
    hit(
      seen,
      rules.unbatchedDml,
      target.relation.name,
      (l) => `DELETE of every row of ${l} inside the migration`,
      { work: "delete" },
    )
  }
}

const alterCommand = (seen: Seen, target: Target, cmd: AlterTableCmd) => {
  const table = target.relation.name
  const def = cmd.def
  switch (cmd.subtype) {
    case "AT_SetNotNull":
      hit(seen, rules.setNotNull, table, (l) => `SET NOT NULL on ${l}.${cmd.name} scans every row`)
      return
    case "AT_DropColumn":
      hit(seen, rules.breakingChange, table, (l) => `DROP COLUMN ${cmd.name} of ${l}`)
      return
    case "AT_AddConstraint": {
      if (def === undefined || !("Constraint" in def)) return
      const c = def.Constraint
      const kind = c.contype
      if ((kind === "CONSTR_FOREIGN" || kind === "CONSTR_CHECK") && c.skip_validation !== true) {
        const what = kind === "CONSTR_FOREIGN" ? "FOREIGN KEY" : "CHECK"
        hit(
          seen,
          rules.constraintValid,
          table,
          (l) => `${what} ${c.conname ?? ""} added valid on ${l}`,
        )
      } else if ((kind === "CONSTR_UNIQUE" || kind === "CONSTR_PRIMARY") && !c.indexname) {
        const what = kind === "CONSTR_UNIQUE" ? "UNIQUE" : "PRIMARY KEY"
        hit(
          seen,
          rules.uniqueConstraint,
          table,
          (l) => `${what} constraint built on ${l} under lock`,
        )
      }
      return
    }
  }
}

const alterTable = (seen: Seen) => {
  const { node } = seen
  if (!("AlterTableStmt" in node)) return
  const stmt = node.AlterTableStmt
  const target = targetOf(seen.state, seen.before, relationName(stmt.relation))
  if (target?.existing !== true || stmt.objtype === "OBJECT_INDEX") return
  const cmds = (stmt.cmds ?? []).flatMap((c) => ("AlterTableCmd" in c ? [c.AlterTableCmd] : []))
  for (const cmd of cmds) alterCommand(seen, target, cmd)
  if (!seen.trace.rewritten.some((r) => r.oid === target.relation.oid)) return
  const table = target.relation.name
  const typeChange = cmds.find((c) => c.subtype === "AT_AlterColumnType")
  const withDefault = cmds.find(
    (c) =>
      c.subtype === "AT_AddColumn" &&
      c.def !== undefined &&
      "ColumnDef" in c.def &&
      (c.def.ColumnDef.constraints ?? []).some(
        (k) => "Constraint" in k && k.Constraint.contype === "CONSTR_DEFAULT",
      ),
  )
  if (typeChange !== undefined) {
    hit(
      seen,
      rules.rewritingTypeChange,
      table,
      (l) => `ALTER COLUMN ${typeChange.name} TYPE rewrites ${l}`,
    )
  } else if (withDefault !== undefined) {
    hit(
      seen,
      rules.volatileDefault,
      table,
      (l) => `ADD COLUMN with a volatile default rewrites ${l}`,
    )
  } else {
    hit(seen, rules.tableRewrite, table, (l) => `ALTER TABLE rewrites ${l}`)
  }
  pass(seen, target, "this ALTER TABLE rewrites")
}

const inTransaction = (seen: Seen, what: string) => {
  if (!seen.state.transactional) return
  hit(
    seen,
    rules.concurrentlyInTransaction,
    undefined,
    () => `${what} inside the migration's transaction`,
  )
}

const indexes = (seen: Seen) => {
  const { node } = seen
  if ("IndexStmt" in node) {
    const index = node.IndexStmt
    if (index.concurrent) return inTransaction(seen, "CREATE INDEX CONCURRENTLY")
    const target = targetOf(seen.state, seen.before, relationName(index.relation))
    if (target?.existing !== true) return
    hit(
      seen,
      rules.indexNotConcurrent,
      target.relation.name,
      (l) => `CREATE INDEX ${index.idxname ?? ""} on ${l} blocks writes`,
    )
  } else if ("DropStmt" in node && node.DropStmt.removeType === "OBJECT_INDEX") {
    if (node.DropStmt.concurrent) return inTransaction(seen, "DROP INDEX CONCURRENTLY")
    for (const object of node.DropStmt.objects ?? []) {
      const target = targetOf(seen.state, seen.before, qualified(listNames(object)))
      if (target?.existing !== true) continue
      const table = tableOf(seen.before, target.relation)
      if (!seen.state.start.byOid.has(table.oid)) continue
      hit(
        seen,
        rules.dropIndexNotConcurrent,
        table.name,
        (l) => `DROP INDEX ${target.relation.name} locks ${l}`,
      )
    }
  } else if ("ReindexStmt" in node) {
    const reindex = node.ReindexStmt
    if (hasOption(reindex.params, "concurrently"))
      return inTransaction(seen, "REINDEX CONCURRENTLY")
    const target = targetOf(seen.state, seen.before, relationName(reindex.relation))
    const table = target === undefined ? undefined : tableOf(seen.before, target.relation).name
    hit(
      seen,
      rules.reindex,
      table,
      (l) => `REINDEX of ${l ?? reindex.name ?? "the database"} blocks writes`,
    )
  }
}

const drops = (seen: Seen) => {
  const { node } = seen
  if ("DropStmt" in node && node.DropStmt.removeType === "OBJECT_TABLE") {
    for (const object of node.DropStmt.objects ?? []) {
      const target = targetOf(seen.state, seen.before, qualified(listNames(object)))
      if (target?.existing !== true) continue
      hit(seen, rules.breakingChange, target.relation.name, (l) => `DROP TABLE ${l}`)
    }
  } else if ("RenameStmt" in node) {
    const rename = node.RenameStmt
    if (rename.renameType !== "OBJECT_TABLE" && rename.renameType !== "OBJECT_COLUMN") return
    const target = targetOf(seen.state, seen.before, relationName(rename.relation))
    if (target?.existing !== true) return
    const what = rename.renameType === "OBJECT_COLUMN" ? `column ${rename.subname} of ` : ""
    hit(
      seen,
      rules.breakingChange,
      target.relation.name,
      (l) => `RENAME of ${what}${l} to ${rename.newname}`,
    )
  } else if ("TruncateStmt" in node && node.TruncateStmt.behavior === "DROP_CASCADE") {
    hit(seen, rules.truncateCascade, undefined, () => "TRUNCATE ... CASCADE")
  } else if ("VacuumStmt" in node && hasOption(node.VacuumStmt.options, "full")) {
    for (const r of node.VacuumStmt.rels ?? []) {
      const range = "VacuumRelation" in r ? r.VacuumRelation.relation : undefined
      const table = targetOf(seen.state, seen.before, relationName(range))?.relation.name
      hit(seen, rules.vacuumFull, table, (l) => `VACUUM FULL rewrites ${l}`)
    }
  } else if ("ClusterStmt" in node) {
    const target = targetOf(seen.state, seen.before, relationName(node.ClusterStmt.relation))
    hit(seen, rules.vacuumFull, target?.relation.name, (l) => `CLUSTER rewrites ${l}`)
  }
}

const enums = (seen: Seen) => {
  const { node, state } = seen
  if ("AlterEnumStmt" in node) {
    if (state.transactional && node.AlterEnumStmt.newVal !== undefined) {
      state.addedValues.add(node.AlterEnumStmt.newVal)
    }
    return
  }
  const used = stringConstants(node).find((value) => state.addedValues.has(value))
  const unsafe = seen.trace.failed?.code === "55P04"
  if (used === undefined && !unsafe) return
  hit(seen, rules.addValueThenUse, undefined, () =>
    used === undefined
      ? "uses an enum value added earlier in the same transaction"
      : `uses '${used}', added to its enum earlier in the same transaction`,
  )
}

const serialTypes = new Set(["serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"])

const style = (seen: Seen) => {
  for (const column of columnDefinitions(seen.node)) {
    const type = typeOf(column.typeName)
    const name = column.colname ?? "the column"
    if (type.name === "json") hit(seen, rules.preferJsonb, undefined, () => `${name} is json`)
    if (serialTypes.has(type.name))
      hit(seen, rules.preferIdentity, undefined, () => `${name} is ${type.name}`)
    if (type.name === "timestamp") {
      hit(seen, rules.preferTimestamptz, undefined, () => `${name} is timestamp without time zone`)
    }
    if (type.name === "bpchar" && type.hasModifiers)
      hit(seen, rules.preferText, undefined, () => `${name} is char(n)`)
  }
}

const settings = (seen: Seen) => {
  const { node } = seen
  if (!("VariableSetStmt" in node) || node.VariableSetStmt.name !== "lock_timeout") return
  const value = stringConstants(node)[0]
  seen.state.lockTimeout = value !== "0"
}

/** Locks the statement took: ACCESS EXCLUSIVE on an existing table starts the lock rules. */
const lockRules = (seen: Seen) => {
  const { state } = seen
  if (!state.transactional) return
  const heldBefore = state.exclusive
  // Work this statement does on an existing table while an earlier exclusive lock is held.
  const work = seen.hits.find(
    (h) => !h.filtered && (h.work ?? h.rule.work) !== undefined && h.table !== undefined,
  )
  if (heldBefore !== undefined && work !== undefined) {
    hit(
      seen,
      rules.exclusiveThenWork,
      work.table,
      (l) =>
        `works on ${l} while holding ACCESS EXCLUSIVE on ${heldBefore.table} (taken at line ${heldBefore.line})`,
      { work: work.work ?? work.rule.work },
    )
  }
  for (const lock of seen.trace.locks) {
    if (lock.mode !== "AccessExclusiveLock" || !state.start.byOid.has(lock.oid)) continue
    const relation = state.start.byOid.get(lock.oid)!
    if (relation.kind !== "r" && relation.kind !== "p") continue
    state.exclusive ??= { table: relation.name, line: seen.statement.line }
    if (!state.lockTimeout && !state.noLockTimeoutReported) {
      state.noLockTimeoutReported = true
      hit(
        seen,
        rules.noLockTimeout,
        relation.name,
        (l) => `ACCESS EXCLUSIVE on ${l} with no lock_timeout set in the migration`,
      )
    }
  }
}

/** The rules of one statement, given its trace on the scratch schema. */
export const analyseStatement = (
  statement: Statement,
  state: MigrationState,
  before: Catalog,
  after: Catalog,
  trace: Trace,
): ReadonlyArray<Hit> => {
  const node = statement.tree
  if (node === undefined) return []
  const nameOf = (oid: number) =>
    (after.byOid.get(oid) ?? before.byOid.get(oid))?.name ?? `oid ${oid}`
  const locks = trace.locks.map((l) => ({ relation: nameOf(l.oid), mode: l.mode }))
  const seen: Seen = { statement, node, state, before, after, trace, locks, hits: [] }
  settings(seen)
  dml(seen)
  alterTable(seen)
  indexes(seen)
  drops(seen)
  enums(seen)
  style(seen)
  lockRules(seen)
  // 55P04 and 25001 are the enum and CONCURRENTLY rules' own failures.
  if (trace.failed !== undefined && !["55P04", "25001"].includes(trace.failed.code ?? "")) {
    const failed = trace.failed
    hit(seen, rules.traceFailed, undefined, () => `failed on the scratch schema: ${failed.message}`)
  }
  return seen.hits
}
