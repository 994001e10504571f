import {
  BaseCommand,
  countOf,
  describeProgress,
  type ErrorTable,
  integerFlag,
} from "@coderops/cli-kit"
import { parseGoDuration } from "@coderops/db-core"
import { type ApiKeyPurgeReport, purgeExpiredApiKeys } from "@coderops/dbpurge"
import { Flags } from "@oclif/core"
import * as Effect from "effect/Effect"
import { dbPurgeErrors } from "../../../errors.js"

/** 100 years: far inside PostgreSQL's interval range, far beyond any key's lifetime. */
const maxRetention = "876000 hours"

export default class DbPurgeApiKeys extends BaseCommand<typeof DbPurgeApiKeys> {
  static override summary =
    "Delete API keys that expired longer ago than the retention, in batches."

  static override description =
    `What Coder's dbpurge does every 10 minutes, run now and visibly: select up to --batch-size ids with expires_at before now − retention, delete them, repeat, each batch its own short transaction under Coder's purge lock (pg_try_advisory_xact_lock(4)), so it never runs alongside coderd's purge. OAuth2 provider tokens of deleted keys go with them.

Run it before upgrading to Coder v2.27: migration 000371 rewrites every row of api_keys, and keys that expired years ago make it slow.`

  static override examples = [
    {
      description: "See how many keys would go.",
      command: "<%= config.bin %> <%= command.id %> --dry-run",
    },
    {
      description: "Purge keys expired more than 7 days ago, 10,000 per batch.",
      command:
        "<%= config.bin %> <%= command.id %> --retention 168h --metrics-file /var/lib/node_exporter/coderops_purge.prom",
    },
  ]

  static override flags = {
    retention: Flags.string({
      summary:
        "Keep keys that expired less than this long ago (Go duration: 168h is 7 days; 0 to 876000h, 100 years).",
      default: "168h",
    }),
    "batch-size": integerFlag({
      summary: "Keys deleted per batch transaction.",
      default: 10_000,
      min: 1,
      max: 1_000_000,
    }),
    "dry-run": Flags.boolean({ summary: "Count what would be deleted; delete nothing." }),
  }

  protected override errorTables(): ReadonlyArray<ErrorTable> {
    return [dbPurgeErrors]
  }

  async run(): Promise<PurgeJson> {
    const flags = this.flags
    const line = this.progressLine()
    const report = await this.runDb(
      Effect.flatMap(
        parseGoDuration(flags.retention, "--retention", { max: maxRetention }),
        (retention) =>
          purgeExpiredApiKeys({
            retention,
            batchSize: flags["batch-size"],
            dryRun: flags["dry-run"],
            // Not under --json: the count it needs is a scan nobody would see.
            onProgress: this.jsonEnabled()
              ? undefined
              : ({ total, purged, batches, seconds }) =>
                  line.update(
                    `purging expired API keys: ${describeProgress({ done: purged, total, seconds, unit: "keys" })}; ${countOf(batches, "batch", "batches")}`,
                  ),
          }),
      ),
    ).finally(() => line.done())
    this.log(
      report.dryRun
        ? `${countOf(report.purged, "API key")} expired before ${report.cutoff} would be deleted (dry run: nothing deleted)`
        : `deleted ${countOf(report.purged, "API key")} expired before ${report.cutoff} in ${countOf(report.batches, "batch", "batches")}, ${report.seconds.toFixed(1)} s`,
    )
    return purgeJson(report)
  }
}

/** A dry run says what it would delete, under its own name (README, "JSON output"). */
type PurgeJson =
  | (Omit<ApiKeyPurgeReport, "purged" | "batches" | "lockWaits"> & { readonly wouldPurge: number })
  | ApiKeyPurgeReport

const purgeJson = ({ purged, batches, lockWaits, ...rest }: ApiKeyPurgeReport): PurgeJson =>
  rest.dryRun ? { ...rest, wouldPurge: purged } : { ...rest, purged, batches, lockWaits }
