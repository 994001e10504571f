import { writeFile } from "node:fs/promises"
import { BaseCommand, databaseFlags, globalFlags } from "@coderops/cli-kit"
import { defaultEmbeddedRoot, EmbeddedTarget } from "@coderops/db-core"
import {
  type DemoSizeName,
  type DemoSummary,
  demoDatabaseName,
  demoSizeOf,
  demoSizes,
  dropDemoDatabase,
  presetsOf,
  runDemo,
} from "@coderops/demo"
import { rehearsalHtml } from "@coderops/rehearse"
import { Flags } from "@oclif/core"
import * as Effect from "effect/Effect"
import { progressText, stepLines, summaryLines } from "../demoWording.js"

const sizeLine = (name: DemoSizeName) => {
  const { seed } = demoSizeOf[name]
  return `${name}: ${seed.orgs.toLocaleString("en-US")} organizations, ${presetsOf(demoSizeOf[name]).toLocaleString("en-US")} presets, ${seed.apiKeys.toLocaleString("en-US")} API keys`
}

export default class Demo extends BaseCommand<typeof Demo> {
  static override summary =
    "See what coderops does for a Coder deployment, in minutes, on a synthetic one in a database of its own."

  static override description =
    `On the embedded server (never a database from --database-url, CODER_PG_CONNECTION_URL or DATABASE_URL), in a database of its own (${demoDatabaseName}): migrates the bundled schema to 000370; seeds a synthetic deployment whose API keys mostly expired long ago; plans the upgrade to 000371 in Coder's original, slow form and in the fast form coderops bundles (lint findings, lock times rehearsed on the deployment's data); purges the expired keys; applies 000371 while a watch reads it and a probe plays coderd's queries on api_keys; reconciles the prebuilds memberships twice (a cold pass that writes them, a steady pass that costs one query); then reads the exporter's metrics and sums up: 000371's lock time on api_keys before the purge (the original form, rehearsed) and after it (the fast form, measured), and the reconcile passes' queries.

Each step shows its progress and duration (on stderr while it runs). The database is dropped at the end, also on failure or Ctrl-C; --keep leaves it at 000371 with its deployment and says how to reach it. A database an earlier --keep left is replaced.

Sizes:
  ${demoSizes.map(sizeLine).join("\n  ")}
small takes well under a minute, medium (the default) a few minutes.`

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --size small --json",
    "<%= config.bin %> <%= command.id %> --keep --report rehearsal.html",
  ]

  // Always the embedded server: no --database-url.
  static override baseFlags = { ...globalFlags, "metrics-file": databaseFlags["metrics-file"] }

  static override flags = {
    size: Flags.string({
      summary: "How big the synthetic deployment is (see the description).",
      options: [...demoSizes],
      default: "medium",
    }),
    keep: Flags.boolean({
      default: false,
      summary: `Keep the ${demoDatabaseName} database (at 000371, with its deployment) for exploring.`,
    }),
    report: Flags.string({
      summary:
        "Also write the rehearsal of the original 000371 (with and without the purge) as an HTML report to this file.",
    }),
    drop: Flags.boolean({
      summary: `Only drop the ${demoDatabaseName} database a --keep left, and exit.`,
      exclusive: ["keep", "report", "size"],
    }),
  }

  /** The embedded server's maintenance database: the demo creates its own beside it. */
  protected override databaseTarget() {
    return Effect.succeed(
      new EmbeddedTarget({
        root: defaultEmbeddedRoot(process.env),
        overrides: {},
        database: "postgres",
      }),
    )
  }

  async run(): Promise<DemoSummary | { readonly name: string; readonly existed: boolean }> {
    const flags = this.flags
    if (flags.report !== undefined)
      await this.checkOutputFile(
        "--report",
        flags.report,
        "create the folder or choose another path",
        "demo.html",
      )
    if (flags.drop) {
      const dropped = await this.runDb(dropDemoDatabase())
      this.log(dropped.existed ? `dropped ${dropped.name}` : `no ${dropped.name} database to drop`)
      return dropped
    }
    const json = this.jsonEnabled()
    const line = this.progressLine()
    const { summary, slowRehearsal } = await this.runDb(
      runDemo({
        size: demoSizeOf[flags.size as DemoSizeName],
        keep: flags.keep,
        onEvent: (event) => {
          if (json) return
          if (event.type === "start") line.update(`… ${event.name}: ${event.title}`)
          else {
            line.done()
            for (const text of stepLines(event.step)) this.log(text)
          }
        },
        onProgress: (progress) => line.update(progressText(progress)),
      }),
    ).finally(() => line.done())
    if (flags.report !== undefined && slowRehearsal !== undefined) {
      await writeFile(
        flags.report,
        rehearsalHtml(slowRehearsal, {
          purgeAction: `run \`${this.config.bin} db purge api-keys\``,
        }),
      )
    }
    if (!json) {
      for (const text of summaryLines(summary, this.config.bin, process.env)) this.log(text)
      if (flags.report !== undefined) this.log(`report: ${flags.report}`)
    }
    return summary
  }
}
