import type { SeedReport } from "@coderops/synthetic"
import type { DemoSizeName } from "./DemoSize.js"
import type { Sample } from "./internal/exposition.js"

export type { Sample } from "./internal/exposition.js"

export type DemoStepName =
  | "database"
  | "migrate"
  | "seed"
  | "plan-slow"
  | "plan-fast"
  | "purge"
  | "apply"
  | "reconcile-cold"
  | "reconcile-steady"
  | "metrics"

/** One step done: what it was, when it started, how long it took, what it found. */
export interface DemoStep {
  readonly name: DemoStepName
  readonly title: string
  /** ISO 8601 UTC. */
  readonly startedAt: string
  readonly seconds: number
  readonly detail: string
}

export interface PlanFinding {
  readonly rule: string
  readonly severity: string
  readonly line: number
  readonly message: string
}

/** `upgrade plan` of one form of 000371: its lint findings and its rehearsed lock time. */
export interface FormPlan {
  readonly form: "slow" | "fast"
  /** The up file planned. */
  readonly file: string
  readonly findings: ReadonlyArray<PlanFinding>
  /** Seconds coderd's queries on api_keys wait while it runs, on the seeded data as it is. */
  readonly apiKeysBlockedSeconds: number
  /** Whether that is measured on the whole table or extrapolated from fractions of it. */
  readonly apiKeysBlocked: "measured" | "extrapolated"
  /** The same after a purge of the keys expired over 7 days (rehearsed for the slow form only). */
  readonly apiKeysBlockedAfterPurgeSeconds: number | undefined
  /** How long the migration itself runs, as it is. */
  readonly migrationSeconds: number
}

/** A reconcile pass, by its counts. */
export interface ReconcilePass {
  readonly organizationsChecked: number
  readonly membershipsCreated: number
  readonly groupsCreated: number
  readonly groupMembershipsCreated: number
  readonly errors: number
  /** Statements the pass sent. */
  readonly queries: number
  readonly seconds: number
}

/** What `coderops demo` measured, in the JSON contract's units (seconds, ISO times). */
export interface DemoSummary {
  readonly size: DemoSizeName
  readonly startedAt: string
  readonly seconds: number
  readonly database: {
    readonly name: string
    /** A database of the name that an earlier kept run left was dropped first. */
    readonly replaced: boolean
    readonly kept: boolean
    /** When kept: its URL with the password replaced; otherwise null (it is gone). */
    readonly url: string | undefined
    readonly version: number | undefined
  }
  /** What the seed made, as its report says. */
  readonly deployment: Pick<
    SeedReport,
    | "organizations"
    | "organizationsWithPrebuilds"
    | "users"
    | "templates"
    | "templateVersions"
    | "presets"
    | "apiKeys"
    | "expiredApiKeys"
  >
  readonly steps: ReadonlyArray<DemoStep>
  readonly plan: { readonly slow: FormPlan; readonly fast: FormPlan }
  /** 000371's hold on api_keys: the original form before the purge, the fast one after it. */
  readonly lockTime: {
    readonly table: "api_keys"
    readonly beforePurge: {
      readonly seconds: number
      readonly how: "measured" | "extrapolated"
      readonly source: string
    }
    readonly afterPurge: {
      readonly seconds: number
      readonly how: "measured"
      readonly source: string
    }
    /** before / after, to 0.1; null when nothing waited after (below the probe's 20 ms). */
    readonly ratio: number | undefined
  }
  readonly purge: {
    readonly cutoff: string
    readonly purged: number
    readonly batches: number
    readonly seconds: number
  }
  readonly apply: {
    readonly from: number | undefined
    readonly to: number | undefined
    readonly seconds: number
    readonly apiKeysBlockedSeconds: number
    readonly longestWaitSeconds: number
    readonly readings: number
    readonly readingsWhileMigrating: number
    readonly mostBlockedSessions: number
    readonly statementsSeen: ReadonlyArray<string>
  }
  readonly reconcile: { readonly cold: ReconcilePass; readonly steady: ReconcilePass }
  /** The exporter's series after the run: coderops_*, no histogram buckets, none per preset. */
  readonly metrics: ReadonlyArray<Sample>
}
