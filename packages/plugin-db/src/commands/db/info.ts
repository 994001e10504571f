import { BaseCommand, formatBytes, formatCount, integerFlag, renderTable } from "@coderops/cli-kit"
import { type DatabaseInfo, inspectDatabase } from "@coderops/inspect"

export default class DbInfo extends BaseCommand<typeof DbInfo> {
  static override summary =
    "Show the server, size, largest tables and migration state of the database."

  static override description =
    "Connects to the database (--database-url, $CODER_PG_CONNECTION_URL, $DATABASE_URL, or the embedded server) and reports what an operator checks before an upgrade: the PostgreSQL version, the database size, the largest tables with row estimates, the golang-migrate version and dirty flag, and whether it looks like a Coder database."

  static override examples = [
    {
      description: "Inspect the embedded database (started on demand).",
      command: "<%= config.bin %> <%= command.id %>",
    },
    {
      description: "Inspect a Coder database, as JSON.",
      command:
        "<%= config.bin %> <%= command.id %> --database-url postgres://coder@db:5432/coder --json",
    },
  ]

  static override flags = {
    tables: integerFlag({
      summary: "How many of the largest tables to list.",
      default: 10,
      min: 1,
      max: 1000,
    }),
  }

  async run(): Promise<DatabaseInfo> {
    const info = await this.runDb(inspectDatabase({ tableLimit: this.flags.tables }))
    if (!this.jsonEnabled()) this.log(await render(info))
    return info
  }
}

const render = async (info: DatabaseInfo) => {
  const migration =
    info.migration === undefined
      ? "none (no schema_migrations row)"
      : `${info.migration.version}${info.migration.dirty ? " DIRTY: a migration failed part-way; repair, then `coderops migrate force`" : " (clean)"}`
  const kind = info.coderV1
    ? "Coder v1 (migration_cursor): not supported"
    : info.looksLikeCoder
      ? "yes"
      : `no${info.coderTables.length > 0 ? ` (has only ${info.coderTables.join(", ")})` : ""}`
  const lines = [
    `Database     ${info.database} at ${info.url} (from ${info.source})`,
    `Server       PostgreSQL ${info.serverVersion}`,
    `Size         ${formatBytes(info.databaseBytes)}`,
    `Migration    ${migration}`,
    `Coder        ${kind}`,
    "",
  ]
  const rows = info.largestTables.map((table) => ({
    table: table.schema === "public" ? table.name : `${table.schema}.${table.name}`,
    rows: formatCount(table.rowEstimate),
    size: formatBytes(table.totalBytes),
  }))
  const tables =
    rows.length === 0
      ? "No tables."
      : renderTable(
          rows,
          [
            { key: "table", name: "Table" },
            { key: "rows", name: "Rows (est.)", align: "right" },
            { key: "size", name: "Size", align: "right" },
          ],
          `Largest ${rows.length} tables`,
        )
  return `${lines.join("\n")}\n${tables}`
}
