import * as Effect from "effect/Effect"
import { describeTarget } from "./DatabaseConfig.js"
import { Db } from "./Db.js"
import { type DbCoreError, explain } from "./ErrorHints.js"
import { minimumServerVersionNum, serverVersion } from "./ServerVersion.js"

export type CheckStatus = "pass" | "warn" | "fail" | "skip"

export interface Check {
  readonly name: string
  readonly status: CheckStatus
  readonly detail: string
  readonly hint?: string | undefined
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

const failed = (name: string, error: DbCoreError): Check => {
  const { problem, hint } = explain(error)
  return { name, status: "fail", detail: problem, hint }
}

/**
 * Checks what the toolkit needs of a database: that it answers, its version, and the
 * privileges each subsystem uses. Problems are reported as checks, never thrown.
 */
export const runDoctor = Effect.fn("Doctor.run")(function* () {
  const db = yield* Db
  const target = describeTarget(db.settings)
  const checks: Array<Check> = []
  const report = () => ({
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
      checks.push({ name, status: "skip", detail: "not checked: no connection" })
    }
    return report()
  }
  checks.push({
    name: "connectivity",
    status: "pass",
    detail: `connected to ${target} in ${Math.round(performance.now() - started)} ms`,
  })

  const version = yield* Effect.result(serverVersion())
  if (version._tag === "Failure") {
    checks.push(failed("server version", version.failure))
  } else {
    const supported = version.success.num >= minimumServerVersionNum
    checks.push({
      name: "server version",
      status: supported ? "pass" : "fail",
      detail: `PostgreSQL ${version.success.text}${supported ? "" : " is older than 13"}`,
      hint: supported ? undefined : "upgrade PostgreSQL to 13 or later (Coder requires it too)",
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
  const p = privileges.success[0]!
  checks.push(
    p.create_on_schema
      ? {
          name: "create in schema",
          status: "pass",
          detail: `${p.user} can create tables in "${p.schema}"`,
        }
      : {
          name: "create in schema",
          status: "fail",
          detail: `${p.user} cannot create tables in "${p.schema}" (migrations need it)`,
          hint: `GRANT CREATE ON SCHEMA ${p.schema} TO ${p.user}`,
        },
  )
  checks.push(
    p.foreign_tables.length === 0
      ? {
          name: "table ownership",
          status: "pass",
          detail: `${p.user} owns every table in "${p.schema}"`,
        }
      : {
          name: "table ownership",
          status: "fail",
          detail: `${p.foreign_tables.length} table(s) owned by another role, e.g. ${p.foreign_tables.slice(0, 3).join(", ")} (migrations ALTER them)`,
          hint: "run coderops as the role that owns Coder's tables (the one coderd connects as)",
        },
  )
  checks.push(
    p.read_all_stats
      ? {
          name: "session visibility",
          status: "pass",
          detail: "can see other sessions' queries and lock holders",
        }
      : {
          name: "session visibility",
          status: "warn",
          detail:
            "cannot see other users' sessions in pg_stat_activity; lock holders are reported without details",
          hint: `GRANT pg_read_all_stats TO ${p.user}`,
        },
  )
  checks.push(
    p.create_db || p.superuser
      ? {
          name: "create database",
          status: "pass",
          detail: "can create scratch databases (migrate verify on this server)",
        }
      : {
          name: "create database",
          status: "warn",
          detail: "cannot create databases; `migrate verify` will use the embedded server instead",
          hint: `ALTER ROLE ${p.user} CREATEDB`,
        },
  )
  const lock = yield* Effect.result(
    db.withAdvisoryLock(0x636f6465726f7073n, Effect.void, { wait: false }),
  )
  checks.push(
    lock._tag === "Success"
      ? {
          name: "advisory locks",
          status: "pass",
          detail: "session advisory locks can be taken and released",
        }
      : failed("advisory locks", lock.failure),
  )
  return report()
})
