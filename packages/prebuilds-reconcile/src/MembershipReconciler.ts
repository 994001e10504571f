import {
  prebuildsGroupDisplayName,
  prebuildsGroupName,
  prebuildsUserId,
} from "@coderops/coder-schema"
import { Db, type DbShape, type SqlError, withRequiredTables } from "@coderops/db-core"
import { durationBuckets, Metrics, type MetricsShape } from "@coderops/metrics"
import * as Effect from "effect/Effect"
import {
  type OrganizationPrebuildStatus,
  prebuildStatusTables,
  readPrebuildStatus,
} from "./PrebuildStatus.js"

/** Coder's reconciler takes this transaction lock; only the replica that gets it works. */
export const defaultLeaderLockKey = 7n

export type Step = "membership" | "group" | "group_membership"

export interface OrganizationError {
  readonly organizationId: string
  readonly organizationName: string
  readonly step: Step
  readonly error: string
  readonly sqlState: string | undefined
}

export interface ReconcileReport {
  /** False when another reconciler held the leader lock: nothing was read or written. */
  readonly leader: boolean
  readonly dryRun: boolean
  readonly organizationsChecked: number
  readonly membershipsCreated: number
  readonly groupsCreated: number
  readonly groupMembershipsCreated: number
  /** Organizations deleted while the pass ran (nothing to do for them any more). */
  readonly organizationsGone: number
  readonly errors: ReadonlyArray<OrganizationError>
  /** Statements this pass sent, counted through db-core's query hook. */
  readonly queries: number
  readonly seconds: number
}

export interface ReconcileOptions {
  readonly dryRun?: boolean | undefined
  /** Coder's leader lock (`pg_try_advisory_xact_lock`); undefined: no leader election. */
  readonly leaderLockKey?: bigint | undefined
  readonly userId?: string | undefined
  readonly groupName?: string | undefined
  /** Called between the status read and the writes (tests use it to race deletions). */
  readonly afterRead?:
    | ((statuses: ReadonlyArray<OrganizationPrebuildStatus>) => Effect.Effect<unknown, never, Db>)
    | undefined
}

const describe = (error: SqlError) => ({
  error: error.message,
  sqlState: "sqlState" in error ? error.sqlState : undefined,
})

/** Makes the prebuilds user a member of the organizations `ids`; the rows created. */
const insertMemberships = (db: DbShape, userId: string, ids: ReadonlyArray<string>) =>
  db.execute(
    "InsertPrebuildsOrganizationMemberships",
    `INSERT INTO organization_members (user_id, organization_id, created_at, updated_at, roles)
     SELECT $1::uuid, o.id, now(), now(), '{}'
       FROM organizations o WHERE o.id = ANY($2::uuid[])
     ON CONFLICT (organization_id, user_id) DO NOTHING`,
    [userId, ids],
  )

/**
 * Creates the prebuilds group of the organizations `ids` and records each group's id in
 * `groupIds`, also of a group another reconciler created meanwhile; the groups created.
 */
const insertGroups = (
  db: DbShape,
  groupName: string,
  ids: ReadonlyArray<string>,
  groupIds: Map<string, string>,
) =>
  Effect.gen(function* () {
    const inserted = yield* db.query<{ organization_id: string; id: string }>(
      "InsertPrebuildsGroups",
      `INSERT INTO groups (id, name, organization_id, display_name, avatar_url, quota_allowance)
       SELECT gen_random_uuid(), $1, o.id, $2, '', 0
         FROM organizations o WHERE o.id = ANY($3::uuid[])
       ON CONFLICT (name, organization_id) DO NOTHING
       RETURNING organization_id, id`,
      [groupName, prebuildsGroupDisplayName, ids],
    )
    for (const row of inserted) groupIds.set(row.organization_id, row.id)
    const missing = ids.filter((id) => !groupIds.has(id))
    if (missing.length > 0) {
      // Created by another reconciler meanwhile: a new statement sees it committed.
      const existing = yield* db.query<{ organization_id: string; id: string }>(
        "GetPrebuildsGroups",
        "SELECT organization_id, id FROM groups WHERE name = $1 AND organization_id = ANY($2::uuid[])",
        [groupName, missing],
      )
      for (const row of existing) groupIds.set(row.organization_id, row.id)
    }
    return inserted.length
  })

/** Adds the prebuilds user to the groups `groupIds`; the rows created. */
const insertGroupMemberships = (db: DbShape, userId: string, groupIds: ReadonlyArray<string>) =>
  db.execute(
    "InsertPrebuildsGroupMemberships",
    `INSERT INTO group_members (user_id, group_id)
     SELECT $1::uuid, g.id FROM groups g WHERE g.id = ANY($2::uuid[])
     ON CONFLICT (user_id, group_id) DO NOTHING`,
    [userId, groupIds],
  )

/**
 * One pass: a single status read, then only the missing steps, in order — memberships,
 * groups, group memberships. Each step is one statement for every organization that
 * needs it (so a cold pass over 1,000 organizations is a handful of statements, and a
 * converged one is the read alone). Writes use ON CONFLICT DO NOTHING: a row another
 * reconciler wrote first is "already done", and a group created by someone else is
 * re-read, so one pass always converges. If a batch fails (an organization deleted
 * meanwhile), its organizations are retried one by one, each in its own savepoint, and
 * only the failing one is reported.
 */
export const reconcileAll = Effect.fn("MembershipReconciler.reconcileAll")(function* (
  options: ReconcileOptions = {},
) {
  const db = yield* Db
  const metrics = yield* Metrics
  const userId = options.userId ?? prebuildsUserId
  const groupName = options.groupName ?? prebuildsGroupName
  const started = performance.now()
  let queries = 0
  const removeCounter = db.addObserver({ onQuery: () => void queries++ })

  const created = { membership: 0, group: 0, group_membership: 0 }
  let gone = 0
  const errors: Array<OrganizationError> = []

  /** Runs `batch` for all organizations; on failure, `single` for each in a savepoint. */
  const eachStep = <A>(
    step: Step,
    organizations: ReadonlyArray<OrganizationPrebuildStatus>,
    batch: (ids: ReadonlyArray<string>) => Effect.Effect<A, SqlError>,
    count: (result: A) => number,
  ) =>
    Effect.gen(function* () {
      if (organizations.length === 0) return
      const whole = yield* Effect.result(
        db.transaction(`Reconcile ${step}`, batch(organizations.map((o) => o.organizationId))),
      )
      if (whole._tag === "Success") {
        created[step] += count(whole.success)
        return
      }
      for (const organization of organizations) {
        const one = yield* Effect.result(
          db.transaction(`Reconcile ${step}`, batch([organization.organizationId])),
        )
        if (one._tag === "Success") created[step] += count(one.success)
        else
          errors.push({
            organizationId: organization.organizationId,
            organizationName: organization.organizationName,
            step,
            ...describe(one.failure),
          })
      }
    })

  const pass = Effect.gen(function* () {
    const { leader, statuses } = yield* readPrebuildStatus({
      userId,
      groupName,
      leaderLockKey: options.leaderLockKey,
    })
    if (!leader) return { leader, statuses }
    if (options.afterRead) yield* options.afterRead(statuses)
    const failed = (id: string) => errors.some((e) => e.organizationId === id)

    const needMembership = statuses.filter((s) => !s.hasMembership)
    const needGroup = statuses.filter((s) => s.groupId === undefined)
    if (options.dryRun) {
      created.membership = needMembership.length
      created.group = needGroup.length
      created.group_membership = statuses.filter((s) => !s.inGroup).length
      return { leader, statuses }
    }

    yield* eachStep(
      "membership",
      needMembership,
      (ids) => insertMemberships(db, userId, ids),
      (n) => n,
    )

    // Group ids: existing ones, then those created now, then those someone else created.
    const groupIds = new Map(
      statuses.flatMap((s) => (s.groupId ? [[s.organizationId, s.groupId] as const] : [])),
    )
    yield* eachStep(
      "group",
      needGroup.filter((s) => !failed(s.organizationId)),
      (ids) => insertGroups(db, groupName, ids, groupIds),
      (n) => n,
    )

    const needGroupMembership = statuses.filter(
      (s) => !s.inGroup && !failed(s.organizationId) && groupIds.has(s.organizationId),
    )
    yield* eachStep(
      "group_membership",
      needGroupMembership,
      (ids) =>
        insertGroupMemberships(
          db,
          userId,
          ids.map((id) => groupIds.get(id)!),
        ),
      (n) => n,
    )
    // Organizations deleted between the read and the writes are skipped by the joins.
    gone = statuses.filter(
      (s) =>
        s.groupId === undefined && !groupIds.has(s.organizationId) && !failed(s.organizationId),
    ).length
    return { leader, statuses }
  })

  // One transaction per pass: it holds Coder's leader lock (a transaction lock) when one is
  // asked for, and turns JIT off — compiling the status query costs more than running it.
  const outcome = yield* Effect.ensuring(
    Effect.result(
      db
        .transaction("PrebuildsReconcilePass", pass, { settings: { jit: "off" } })
        .pipe(withRequiredTables(prebuildStatusTables)),
    ),
    Effect.sync(removeCounter),
  )
  const seconds = (performance.now() - started) / 1000
  const runs = metrics.counter({
    name: "coderops_prebuilds_reconcile_runs_total",
    help: "Reconcile passes, by outcome (ok, error, skipped: another replica was leader).",
    labelNames: ["outcome"],
  })
  if (outcome._tag === "Failure") {
    runs.inc({ outcome: "error" })
    return yield* Effect.fail(outcome.failure)
  }
  const report: ReconcileReport = {
    leader: outcome.success.leader,
    dryRun: options.dryRun ?? false,
    organizationsChecked: outcome.success.statuses.length,
    membershipsCreated: created.membership,
    groupsCreated: created.group,
    groupMembershipsCreated: created.group_membership,
    organizationsGone: gone,
    errors,
    queries,
    seconds,
  }
  recordPass(metrics, report)
  runs.inc({ outcome: !report.leader ? "skipped" : errors.length > 0 ? "error" : "ok" })
  return report
})

const recordPass = (metrics: MetricsShape, report: ReconcileReport) => {
  metrics
    .histogram({
      name: "coderops_prebuilds_reconcile_duration_seconds",
      help: "Duration of each reconcile pass, in seconds.",
      buckets: durationBuckets,
    })
    .observe({}, report.seconds)
  const actions = metrics.counter({
    name: "coderops_prebuilds_reconcile_actions_total",
    help: "Rows the reconciler created, by kind (membership, group, group_membership); dry runs excluded.",
    labelNames: ["action"],
  })
  if (!report.dryRun) {
    actions.inc({ action: "membership" }, report.membershipsCreated)
    actions.inc({ action: "group" }, report.groupsCreated)
    actions.inc({ action: "group_membership" }, report.groupMembershipsCreated)
  }
  metrics
    .counter({
      name: "coderops_prebuilds_reconcile_errors_total",
      help: "Per-organization errors in reconcile passes.",
    })
    .inc({}, report.errors.length)
  metrics
    .gauge({
      name: "coderops_prebuilds_reconcile_queries_per_pass",
      help: "Statements the last reconcile pass sent.",
    })
    .set({}, report.queries)
}
