import {
  BaseCommand,
  countOf,
  describeProgress,
  type ErrorTable,
  formatCount,
} from "@coderops/cli-kit"
import { type SeedReport, seedDeployment } from "@coderops/synthetic"
import { Errors, Flags } from "@oclif/core"
import { seedErrors } from "../../errors.js"

// Parsed here, checked by the seeder (its InvalidSeedOptions, worded in ../../errors.ts).
const fraction = Flags.custom<number>({
  parse: async (input) => {
    const value = Number(input)
    if (input.trim() === "" || Number.isNaN(value))
      throw new Errors.CLIError(`Expected a fraction from 0 to 1 but received: ${input}`)
    return value
  },
})

const timestamp = Flags.custom<Date>({
  parse: async (input) => {
    const value = new Date(input)
    if (Number.isNaN(value.getTime()))
      throw new Errors.CLIError(
        `Expected an ISO 8601 time such as 2026-01-01T00:00:00Z but received: ${input}`,
      )
    return value
  },
})

export default class DbSeed extends BaseCommand<typeof DbSeed> {
  static override summary =
    "Fill a fresh database with a synthetic Coder deployment, deterministically."

  static override description =
    `Generates organizations (each with its Everyone group), users and their memberships, templates with versions and presets, prebuilt workspaces (each with the successful start build, and its provisioner job, that names its preset), and API keys — a share of them expired long ago — and loads them with COPY: millions of API keys in well under a minute. The same --seed, --now and options give byte-identical rows, ids included.

Use it to rehearse a migration on realistic data before an upgrade: on the schema before Coder's migration 000371 it fills api_keys.scope, after it api_keys.scopes and allow_list. It refuses a database that already has organizations or API keys: seed a database created for the rehearsal, never Coder's own.

Expiry is relative to --now (default: the current time), so a migration or purge that compares with now() sees --expired-fraction of the keys expired more than 7 days ago.`

  static override examples = [
    {
      description: "Seed the default deployment (10 organizations, 100 users, 10,000 API keys).",
      command:
        "<%= config.bin %> <%= command.id %> --database-url postgres://postgres@localhost/rehearsal",
    },
    {
      description:
        "Rehearse Coder's migration 000371 on 5,000,000 API keys, 60% of them expired: in a database created for it and migrated to 370 (`coderops migrate goto 370`), seed, then time `coderops migrate up`.",
      command:
        "<%= config.bin %> <%= command.id %> --database-url postgres://postgres@localhost/rehearsal --orgs 1 --users 1000 --api-keys 5000000 --expired-fraction 0.6",
    },
    {
      description:
        "A prebuilds scenario: half of the organizations with prebuilds already reconciled, one prebuilt workspace per preset.",
      command:
        "<%= config.bin %> <%= command.id %> --orgs 200 --reconciled-fraction 0.5 --prebuilt-workspaces-per-preset 1 --json",
    },
  ]

  static override flags = {
    orgs: Flags.integer({ summary: "Organizations.", default: 10 }),
    users: Flags.integer({
      summary: "Users (besides the prebuilds user), spread over the organizations.",
      default: 100,
    }),
    "templates-per-org": Flags.integer({
      summary: "Templates per organization.",
      default: 3,
    }),
    "versions-per-template": Flags.integer({
      summary: "Versions per template; the last one is active.",
      default: 2,
    }),
    "presets-per-version": Flags.integer({
      summary: "Presets per template version.",
      default: 3,
    }),
    "api-keys": Flags.integer({ summary: "API keys, over all users.", default: 10_000 }),
    "expired-fraction": fraction({
      summary: "Fraction of API keys that expired between 8 days and 3 years ago.",
      default: 0.5,
    }),
    seed: Flags.integer({ summary: "Seed of the generator.", default: 1 }),
    "preset-desired-fraction": fraction({
      summary: "Fraction of presets with desired_instances set (0 to 3): prebuilds configured.",
      default: 0.5,
    }),
    "prebuilt-workspaces-per-preset": Flags.integer({
      summary:
        "Prebuilt workspaces owned by the prebuilds user per active preset, up to its desired_instances.",
      default: 0,
    }),
    "reconciled-fraction": fraction({
      summary:
        "Fraction of organizations with prebuilds where the prebuilds user already has its membership, group and group membership.",
      default: 0,
    }),
    now: timestamp({
      summary: "Reference time that expiries and ages are relative to (default: now).",
    }),
  }

  protected override errorTables(): ReadonlyArray<ErrorTable> {
    return [seedErrors]
  }

  async run(): Promise<SeedReport> {
    const flags = this.flags
    const line = this.progressLine()
    const report = await this.runDb(
      seedDeployment({
        orgs: flags.orgs,
        users: flags.users,
        templatesPerOrg: flags["templates-per-org"],
        versionsPerTemplate: flags["versions-per-template"],
        presetsPerVersion: flags["presets-per-version"],
        apiKeys: flags["api-keys"],
        expiredFraction: flags["expired-fraction"],
        seed: flags.seed,
        presetDesiredFraction: flags["preset-desired-fraction"],
        prebuiltWorkspacesPerPreset: flags["prebuilt-workspaces-per-preset"],
        reconciledFraction: flags["reconciled-fraction"],
        // Whole seconds: generated timestamps have no fraction either.
        now: flags.now ?? new Date(Math.floor(Date.now() / 1000) * 1000),
        onProgress: (table, rows, seconds) =>
          line.log(
            `${table}: ${formatCount(rows)} rows in ${seconds.toFixed(2)} s (${formatCount(Math.round(rows / Math.max(seconds, 0.001)))} rows/s)`,
          ),
        onRows: ({ table, rows, total, seconds }) =>
          line.update(
            `seeding ${table}: ${describeProgress({ done: rows, total, seconds, unit: "rows" })}`,
          ),
      }),
    ).finally(() => line.done())
    const schema =
      report.apiKeyScopeColumn === "scope"
        ? "api_keys.scope (before 000371)"
        : "api_keys.scopes (after 000371)"
    this.log(
      `seeded ${countOf(report.organizations, "organization")}, ${countOf(report.users, "user")}, ${countOf(report.templates, "template")} (${countOf(report.templateVersions, "version")}, ${countOf(report.presets, "preset")}), ${countOf(report.prebuiltWorkspaces, "prebuilt workspace")}, ${countOf(report.apiKeys, "API key")} (${formatCount(report.expiredApiKeys)} expired more than 7 days ago) into ${schema}; prebuilds user reconciled in ${formatCount(report.reconciledOrganizations)} of ${countOf(report.organizationsWithPrebuilds, "organization")} with prebuilds; ${report.seconds.toFixed(1)} s`,
    )
    return report
  }
}
