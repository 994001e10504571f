import {
  Db,
  type DbCoreError,
  describeTarget,
  minimumServerVersionNum,
  serverVersion,
} from "@coderops/db-core"
import * as Effect from "effect/Effect"

export type CheckStatus = "pass" | "warn" | "fail" | "skip"

/**
 * What one check found, as facts: the CLI words them (which subsystem needs a privilege,
 * which command falls back to what) and, for a failure, words its error through its tables.
 */
export type Finding =
  | { readonly _tag: "Failed"; readonly error: DbCoreError }
  | { readonly _tag: "NotConnected" }
  | { readonly _tag: "Connected"; readonly target: string; readonly elapsedMs: number }
  | { readonly _tag: "ServerVersion"; readonly version: string; readonly supported: boolean }
  | {
      readonly _tag: "CreateInSchema"
      readonly user: string
      readonly schema: string
      readonly allowed: boolean
    }
  | {
      readonly _tag: "TableOwnership"
      readonly user: string
      readonly schema: string
      /** Tables in the schema owned by a role this user is not a member of. */
      readonly foreignTables: ReadonlyArray<string>
    }
  | { readonly _tag: "SessionVisibility"; readonly user: string; readonly allowed: boolean }
  | { readonly _tag: "CreateDatabase"; readonly user: string; readonly allowed: boolean }
  | { readonly _tag: "AdvisoryLocks" }

export interface Check {
  readonly name: string
  readonly status: CheckStatus
  readonly finding: Finding
}

export interface DoctorReport {
  readonly target: string
  readonly source: string
  readonly checks: ReadonlyArray<Check>
  /** True when no check failed (warnings allowed). */
  readonly ok: boolean
}

interface Privileges {
  readonly user: string
  readonly superuser: boolean
  readonly create_on_schema: boolean
  readonly schema: string
  readonly create_db: boolean
  readonly read_all_stats: boolean
  readonly foreign_tables: Array<string>
}

const failed = (name: string, error: DbCoreError): Check => ({
  name,
  status: "fail",
  finding: { _tag: "Failed", error },
})

/** The privilege checks: a missing one fails what needs it, or warns where there is a way round. */
const privilegeChecks = (p: Privileges): Array<Check> => [
  {
    name: "create in schema",
    status: p.create_on_schema ? "pass" : "fail",
    finding: {
      _tag: "CreateInSchema",
      user: p.user,
      schema: p.schema,
      allowed: p.create_on_schema,
    },
  },
  {
    name: "table ownership",
    status: p.foreign_tables.length === 0 ? "pass" : "fail",
    finding: {
      _tag: "TableOwnership",
      user: p.user,
      schema: p.schema,
      foreignTables: p.foreign_tables,
    },
  },
  {
    name: "session visibility",
    status: p.read_all_stats ? "pass" : "warn",
    finding: { _tag: "SessionVisibility", user: p.user, allowed: p.read_all_stats },
  },
  {
    name: "create database",
    status: p.create_db || p.superuser ? "pass" : "warn",
    finding: { _tag: "CreateDatabase", user: p.user, allowed: p.create_db || p.superuser },
  },
]

/**
 * Checks what the toolkit needs of a database: that it answers, its version, and the
 * privileges each subsystem uses. Problems are reported as checks, never thrown.
 */
export const runDoctor = Effect.fn("Doctor.run")(function* () {
  const db = yield* Db
  const target = describeTarget(db.settings)
  const checks: Array<Check> = []
  const report = (): DoctorReport => ({
    target,
    source: db.settings.source,
    checks,
    ok: checks.every((check) => check.status !== "fail"),
  })

  const started = performance.now()
  const connected = yield* Effect.result(db.query("Ping", "SELECT 1"))
  if (connected._tag === "Failure") {
    checks.push(failed("connectivity", connected.failure))
    for (const name of ["server version", "privileges"]) {
      checks.push({ name, status: "skip", finding: { _tag: "NotConnected" } })
    }
    return report()
  }
  checks.push({
    name: "connectivity",
    status: "pass",
    finding: {
      _tag: "Connected",
      target,
      elapsedMs: Math.round(performance.now() - started),
    },
  })

  const version = yield* Effect.result(serverVersion())
  if (version._tag === "Failure") {
    checks.push(failed("server version", version.failure))
  } else {
    const supported = version.success.num >= minimumServerVersionNum
    checks.push({
      name: "server version",
      status: supported ? "pass" : "fail",
      finding: { _tag: "ServerVersion", version: version.success.text, supported },
    })
  }

  const privileges = yield* Effect.result(
    db.query<Privileges>(
      "GetPrivileges",
      `SELECT current_user AS user,
              r.rolsuper AS superuser,
              r.rolcreatedb AS create_db,
              current_schema() AS schema,
              has_schema_privilege(current_schema(), 'CREATE') AS create_on_schema,
              r.rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats,
              coalesce((SELECT array_agg(c.relname ORDER BY c.relname)
                          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                           AND NOT pg_has_role(current_user, c.relowner, 'USAGE')), '{}')::text[] AS foreign_tables
         FROM pg_roles r WHERE r.rolname = current_user`,
    ),
  )
  if (privileges._tag === "Failure") {
    checks.push(failed("privileges", privileges.failure))
    return report()
  }
  checks.push(...privilegeChecks(privileges.success[0]!))
  const lock = yield* Effect.result(
    db.withAdvisoryLock(0x636f6465726f7073n, Effect.void, { wait: false }),
  )
  checks.push(
    lock._tag === "Success"
      ? { name: "advisory locks", status: "pass", finding: { _tag: "AdvisoryLocks" } }
      : failed("advisory locks", lock.failure),
  )
  return report()
})
