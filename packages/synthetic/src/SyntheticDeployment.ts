import { Db, requireTables, type SqlError, schemaMissing } from "@coderops/db-core"
import * as Effect from "effect/Effect"
import { chunked, sentRows } from "./internal/copyText.js"
import { makePlan, type Plan } from "./internal/plan.js"
import { type ApiKeyScopeColumn, apiKeyChunks, apiKeyColumns } from "./internal/rows/apiKeys.js"
import { organizationTables } from "./internal/rows/organizations.js"
import { templateTables } from "./internal/rows/templates.js"
import { workspaceTables } from "./internal/rows/workspaces.js"
import type { SeededTable } from "./internal/SeededTable.js"
import { SeedTargetNotEmpty } from "./SeedErrors.js"
import { type SeedOptions, validateSeedOptions } from "./SeedOptions.js"

export interface SeedReport {
  readonly organizations: number
  readonly users: number
  readonly templates: number
  readonly templateVersions: number
  readonly presets: number
  readonly apiKeys: number
  /** Keys that expired more than 7 days before the reference time (what 000371 purges). */
  readonly expiredApiKeys: number
  readonly prebuiltWorkspaces: number
  readonly organizationsWithPrebuilds: number
  readonly reconciledOrganizations: number
  /** `scope` before migration 000371, `scopes` (+ allow_list) after it. */
  readonly apiKeyScopeColumn: ApiKeyScopeColumn
  readonly seconds: number
}

/** The tables loaded in the seeding transaction, in load order (parents before children). */
const transactionTables: ReadonlyArray<SeededTable> = [
  ...organizationTables,
  ...templateTables,
  ...workspaceTables,
]

/** Every table the seeder writes, in load order. */
const seededTables = [...transactionTables.map((t) => t.table), "api_keys"]

/** Parallel COPY streams for api_keys. */
const apiKeyStreams = 2

/** Who hears of the seeding's progress: each table loaded, and rows while one loads. */
interface Listeners {
  readonly onProgress: SeedOptions["onProgress"]
  readonly onRows: SeedOptions["onRows"]
}

/**
 * Times one table's COPY and reports it; `copy` gets the counter its chunks report their
 * rows to once COPY has sent them (`total`: the rows expected, when known).
 */
const load = Effect.fn("SyntheticDeployment.load")(function* <R>(
  table: string,
  total: number | undefined,
  copy: (onRows: ((rows: number) => void) | undefined) => Effect.Effect<number, SqlError, R>,
  listeners: Listeners,
) {
  const started = performance.now()
  let sent = 0
  const { onRows } = listeners
  const counter =
    onRows === undefined
      ? undefined
      : (rows: number) => {
          sent += rows
          onRows({ table, rows: sent, total, seconds: (performance.now() - started) / 1000 })
        }
  const rows = yield* copy(counter)
  listeners.onProgress?.(table, rows, (performance.now() - started) / 1000)
  return rows
})

/** Which scope column api_keys has; fails when a seeded table or that column is missing. */
const targetSchema = Effect.fn("SyntheticDeployment.targetSchema")(function* () {
  const db = yield* Db
  yield* requireTables(seededTables)
  const columns = yield* db.query<{ column_name: string }>(
    "GetApiKeyScopeColumns",
    `SELECT column_name::text FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'api_keys'
        AND column_name IN ('scope', 'scopes')`,
  )
  const scopeColumns = columns.map((row) => row.column_name)
  if (scopeColumns.length === 0)
    return yield* Effect.fail(yield* schemaMissing(["api_keys.scope or api_keys.scopes column"]))
  return scopeColumns.includes("scopes") ? ("scopes" as const) : ("scope" as const)
})

/** Everything but the API keys, in one transaction; rows loaded per table. */
const loadTransactionTables = (plan: Plan, listeners: Listeners) =>
  Effect.gen(function* () {
    const db = yield* Db
    return yield* db.transaction(
      "SeedDeployment",
      Effect.gen(function* () {
        const [occupied] = yield* db.query<{ organizations: boolean; api_keys: boolean }>(
          "CheckSeedTargetEmpty",
          `SELECT EXISTS (SELECT 1 FROM organizations) AS organizations,
                  EXISTS (SELECT 1 FROM api_keys) AS api_keys`,
        )
        if (occupied?.organizations || occupied?.api_keys) {
          const table = occupied.organizations ? "organizations" : "api_keys"
          return yield* new SeedTargetNotEmpty({
            table,
            message: `the database already has ${occupied.organizations ? "organizations" : "API keys"}: seeding would mix synthetic data into it`,
          })
        }
        const rows: Record<string, number> = {}
        for (const { table, name, columns, rows: generate, expectedRows } of transactionTables)
          rows[table] = yield* load(
            table,
            expectedRows?.(plan),
            (onRows) => {
              const counted = sentRows(onRows)
              return db.copyFrom(
                name,
                `COPY ${table} (${columns.join(", ")}) FROM STDIN`,
                chunked(generate(plan), counted?.produced),
                counted?.sent,
              )
            },
            listeners,
          )
        return rows
      }),
    )
  })

/**
 * API keys (millions of rows) load through parallel COPY streams, each on its own
 * connection and so its own transaction, once the users they reference are committed:
 * one server backend is CPU-bound on them (text input, the foreign key check, Coder's row
 * trigger and three indexes per row), and two load about twice as fast.
 */
const loadApiKeys = Effect.fn("SyntheticDeployment.loadApiKeys")(function* (
  plan: Plan,
  scopeColumn: ApiKeyScopeColumn,
  onRows: ((rows: number) => void) | undefined,
) {
  const db = yield* Db
  const text = `COPY api_keys (${apiKeyColumns(scopeColumn).join(", ")}) FROM STDIN`
  const slices = Array.from({ length: apiKeyStreams }, (_, n) => [
    Math.floor((plan.apiKeys * n) / apiKeyStreams),
    Math.floor((plan.apiKeys * (n + 1)) / apiKeyStreams),
  ])
  const rows = yield* Effect.forEach(
    slices,
    ([from, to]) => {
      const counted = sentRows(onRows)
      return db.copyFrom(
        "CopySeedApiKeys",
        text,
        apiKeyChunks(plan, scopeColumn, from!, to!, counted?.produced),
        counted?.sent,
      )
    },
    { concurrency: "unbounded" },
  )
  return rows.reduce((sum, n) => sum + n, 0)
})

/**
 * Seeds a fresh Coder database with a synthetic deployment, deterministically: the same
 * seed and options give byte-identical rows. Every table is loaded with COPY from
 * generators that stream chunks of rows, so memory stays flat for millions of API keys.
 * Everything but the API keys is one transaction; the API keys follow in parallel COPY
 * streams, so a failure there can leave some of them: seed a fresh database again. Call it
 * outside a transaction. Works on the schema before migration 000371 (api_keys.scope) and
 * after it (scopes, allow_list), so 000371 can be rehearsed on realistic data.
 */
export const seedDeployment = Effect.fn("SyntheticDeployment.seed")(function* (
  options: SeedOptions,
) {
  const db = yield* Db
  const started = performance.now()
  const plan = makePlan(yield* validateSeedOptions(options))
  const scopeColumn = yield* targetSchema()
  const listeners = { onProgress: options.onProgress, onRows: options.onRows }
  const loaded = yield* loadTransactionTables(plan, listeners)
  const apiKeys = yield* load(
    "api_keys",
    plan.apiKeys,
    (onRows) => loadApiKeys(plan, scopeColumn, onRows),
    listeners,
  )
  // Planner statistics for the new rows, so row estimates (and rehearsals) are right.
  yield* db.execute("AnalyzeSeededTables", `ANALYZE ${seededTables.join(", ")}`)
  return {
    organizations: loaded.organizations ?? 0,
    users: loaded.users ?? 0,
    templates: loaded.templates ?? 0,
    templateVersions: loaded.template_versions ?? 0,
    presets: loaded.template_version_presets ?? 0,
    prebuiltWorkspaces: loaded.workspaces ?? 0,
    apiKeys,
    expiredApiKeys: plan.expiredKeys,
    organizationsWithPrebuilds: plan.hasPrebuilds.filter(Boolean).length,
    reconciledOrganizations: plan.reconciled.filter(Boolean).length,
    apiKeyScopeColumn: scopeColumn,
    seconds: (performance.now() - started) / 1000,
  } satisfies SeedReport
})
